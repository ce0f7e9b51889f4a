// A DEMO AGENT for long-running roles (mayor, witness, refinery, plugin), not an AI. It follows
// the agent contract: starts by reading its handoff when its prompt file says so, answers what
// gt types into its pane, and uses only gt commands.
//
//   a line mentioning "gt handoff" or "hand off"   it hands off: gt handoff -m NOTE
//   a line mentioning "unread message"            it reads its inbox; a plugin answers each
//                                                 question with its verdict (--verdict proceed
//                                                 | escalate | none; none never answers)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const verdict = opt('verdict', 'proceed');
const me = process.env.GT_AGENT;
const say = (line) => console.log(`[demo-agent ${me}] ${line}`);
const gt = (...a) => execFileSync('gt', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

say(`session started (role ${process.env.GT_ROLE})`);
const prompt = readFileSync(process.env.GT_PROMPT_FILE, 'utf8');
const handoff = /gt mail read (msg-[^`\s]+)`/.exec(prompt)?.[1];
if (handoff) {
  const msg = JSON.parse(gt('mail', 'read', handoff, '-o', 'json'));
  say(`read my handoff ${handoff}: ${msg.body}`);
}

function readInbox() {
  const unread = JSON.parse(gt('mail', 'inbox', '--unread', '-o', 'json'));
  for (const m of unread) {
    gt('mail', 'read', m.id, '-o', 'json');
    say(`read ${m.id} from ${m.from}: ${m.subject}`);
    if (process.env.GT_ROLE === 'plugin' && m.type === 'task' && verdict !== 'none') {
      gt('mail', 'send', m.from, '-s', 'verdict', '--type', 'reply', '--reply-to', m.id, '-m', verdict);
      say(`answered ${m.id}: ${verdict}`);
    }
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (/gt handoff|hand off/i.test(line)) {
    gt('handoff', '-m', `handoff from ${me} at ${new Date().toISOString()}`);
    say('handed off; waiting for my fresh session');
  } else if (/unread message/i.test(line)) {
    readInbox();
  }
});
