#!/usr/bin/env node
// A DEMO AGENT, not an AI: a script that behaves like a coding agent so the demo and the tests
// can run without one. It follows the agent contract (GT_ISSUE, GT_BRANCH, gt on PATH): reads
// its issue, commits a change for it, pushes its branch and calls `gt done`.
//
//   --mode normal   do the work and finish (default)
//   --mode crash    exit with status 3 at once (a crashing agent)
//   --mode stuck    print one line, then nothing, whatever it is told (a stuck agent)
//   --mode dirty    say done without committing; when nudged (a line on stdin), commit, push, done
//   --mode handoff  hand off at once (gt handoff); the fresh session reads the handoff, then works
//   --delay MS      pause before working (default 500)
//
// The work: each description line `append FILE: TEXT` appends TEXT to FILE; without such lines
// it writes work/<issue>.md. Sent back by the merge queue (its branch already has commits), it
// redoes the work on top of the current main and force-pushes its branch.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  // The usage is the comment at the top of this file: printed from it, so the two never differ.
  const usage = readFileSync(new URL(import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('//'))
    .map((l) => l.replace(/^\/\/ ?/, ''));
  console.log(['gt demo-agent [--mode M] [--delay MS]: a scripted stand-in for a coding agent, run by gt as a polecat (agent command ["gt", "demo-agent", ...]).', '', ...usage].join('\n'));
  process.exit(0);
}
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const mode = opt('mode', 'normal');
const delay = Number(opt('delay', '500'));
const issueId = process.env.GT_ISSUE;
const branch = process.env.GT_BRANCH;
const say = (line) => console.log(`[demo-agent] ${line}`);
const run = (cmd, ...a) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const idle = () => new Promise(() => setInterval(() => {}, 1 << 30));

if (process.env.GT_ROLE && process.env.GT_ROLE !== 'polecat') {
  await import('./scripted-session.mjs');
  await idle();
}
if (!issueId || !branch) {
  say('GT_ISSUE and GT_BRANCH must be set (run me as a gt polecat)');
  process.exit(2);
}
say(`working on ${issueId} (mode ${mode})`);
if (mode === 'crash') process.exit(3);
if (mode === 'stuck') await idle();

if (mode === 'handoff') {
  const handoff = /gt mail read (msg-[^`\s]+)`/.exec(readFileSync(process.env.GT_PROMPT_FILE, 'utf8'))?.[1];
  if (!handoff) {
    run('gt', 'handoff', '-m', `context full while starting ${issueId}`);
    say('handed off; waiting for my fresh session');
    await idle();
  }
  say(`read my handoff ${handoff}: ${JSON.parse(run('gt', 'mail', 'read', handoff, '-o', 'json')).body}`);
}
const issue = JSON.parse(run('gt', 'issues', 'show', issueId, '-o', 'json'));
say(`issue: ${issue.title}`);
await sleep(delay);

function commitAndPush() {
  run('git', 'add', '-A');
  run('git', 'commit', '-q', '-m', `${issueId}: ${issue.title}`);
  run('git', 'push', '-q', '--force', 'origin', `HEAD:${branch}`);
  say(`committed and pushed ${branch}`);
}

function doTheWork() {
  const edits = (issue.description ?? '')
    .split('\n')
    .map((l) => /^append ([^:]+): (.*)$/.exec(l.trim()))
    .filter(Boolean);
  if (!edits.length) {
    mkdirSync('work', { recursive: true });
    writeFileSync(`work/${issueId}.md`, `# ${issue.title}\n\n${issue.description ?? ''}\n`);
  }
  for (const [, file, text] of edits) appendFileSync(file, `${text}\n`);
}

const base = process.env.GT_BASE_BRANCH ?? 'main';
run('git', 'fetch', '-q', 'origin');
const redo = run('git', 'rev-list', '--count', `origin/${base}..HEAD`).trim() !== '0';
if (redo) {
  say(
    `sent back (${
      JSON.parse(run('gt', 'mail', 'inbox', '-o', 'json'))
        .map((m) => m.subject)
        .pop() ?? 'no mail'
    }): redoing on top of ${base}`,
  );
  run('git', 'reset', '-q', '--hard', `origin/${base}`);
}
doTheWork();
if (mode === 'dirty') {
  say('saying done without committing (a sloppy agent)');
  run('gt', 'done');
  const rl = createInterface({ input: process.stdin });
  rl.once('line', (line) => {
    say(`nudged: ${line.slice(0, 60)}`);
    commitAndPush();
    run('gt', 'done');
    say('done again');
  });
  await idle();
}
commitAndPush();
run('gt', 'done');
say('done; waiting to be stopped');
await idle();
