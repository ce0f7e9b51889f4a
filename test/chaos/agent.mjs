#!/usr/bin/env node
// The chaos suite's agent: a scripted stand-in for a coding agent (like examples/agents/
// scripted-agent.mjs) that also misbehaves, decided by a seeded hash of (seed, issue, start):
// on its first start for an issue it may crash mid-commit (files staged, no commit), be killed
// between its commit and its push, or exit without `gt done`. Every commit it makes is appended
// to the ledger (--ledger FILE), so the suite can check that none is lost.
//
//   node agent.mjs --ledger FILE --seed N [--faults P]   (P: chance of a fault on a first start, 0..1)
//
// The work: each description line `append FILE: TEXT` appends TEXT to FILE, else work/<issue>.md.
// It never rewrites history: sent back by the merge queue it merges the target into its branch
// (resolving conflicts by keeping both sides) and pushes again, so its earlier commits stay
// reachable from its branch.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ledger = opt('ledger', '');
const seed = opt('seed', '0');
const faultChance = Number(opt('faults', '0.3'));
const issueId = process.env.GT_ISSUE;
const branch = process.env.GT_BRANCH;
const base = process.env.GT_BASE_BRANCH ?? 'main';
const polecat = (process.env.GT_AGENT ?? '').split('/').pop();
const run = (cmd, ...a) => execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tryRun = (cmd, ...a) => {
  try {
    return { ok: true, out: run(cmd, ...a) };
  } catch (err) {
    return { ok: false, out: String(err.stderr ?? err.message) };
  }
};
const note = (entry) => appendFileSync(ledger, JSON.stringify({ time: new Date().toISOString(), issue: issueId, polecat, clone: process.cwd(), ...entry }) + '\n');
const idle = () => new Promise(() => setInterval(() => {}, 1 << 30));

if (!issueId || !branch || !ledger) {
  console.log('GT_ISSUE, GT_BRANCH and --ledger are needed');
  process.exit(2);
}
// How many times an agent started on this issue (the ledger's directory keeps the count).
const startsFile = path.join(path.dirname(ledger), 'starts', `${issueId}.count`);
mkdirSync(path.dirname(startsFile), { recursive: true });
const start = (existsSync(startsFile) ? Number(readFileSync(startsFile, 'utf8')) : 0) + 1;
writeFileSync(startsFile, String(start));
const roll = (what) => createHash('sha256').update(`${seed}/${issueId}/${start}/${what}`).digest().readUInt32BE(0) / 2 ** 32;
const kinds = ['agent-crash-mid-commit', 'agent-killed-commit-push', 'agent-exit-without-done'];
const fault = start === 1 && roll('fault') < faultChance ? kinds[Math.floor(roll('kind') * kinds.length)] : undefined;
console.log(`[chaos-agent] ${issueId} start ${start}${fault ? ` (will: ${fault})` : ''}`);

const commit = (message) => {
  run('git', 'commit', '-q', '-m', message);
  const sha = run('git', 'rev-parse', 'HEAD').trim();
  note({ commit: sha });
  return sha;
};

const issue = JSON.parse(run('gt', 'issues', 'show', issueId, '-o', 'json'));
run('git', 'fetch', '-q', 'origin');
// Conflicts with the target are resolved by keeping both sides (this clone only: the refinery
// still sees the conflict and sends the branch back).
mkdirSync('.git/info', { recursive: true });
writeFileSync('.git/info/attributes', '* merge=union\n');

const mine = tryRun('git', 'log', '--format=%s', 'HEAD')
  .out.split('\n')
  .some((s) => s.startsWith(`${issueId}:`));
if (!mine) {
  const edits = (issue.description ?? '')
    .split('\n')
    .map((l) => /^append ([^:]+): (.*)$/.exec(l.trim()))
    .filter(Boolean);
  if (!edits.length) {
    mkdirSync('work', { recursive: true });
    writeFileSync(`work/${issueId}.md`, `# ${issue.title}\n`);
  }
  for (const [, file, text] of edits) appendFileSync(file, `${text}\n`);
  run('git', 'add', '-A');
  if (fault === 'agent-crash-mid-commit') {
    note({ fault });
    process.exit(1);
  }
  commit(`${issueId}: ${issue.title}`);
}
// Bring the branch up to date with the target (a rejected merge comes back this way).
const behind = tryRun('git', 'merge-base', '--is-ancestor', `origin/${base}`, 'HEAD');
if (!behind.ok) {
  const merged = tryRun('git', 'merge', '-q', '--no-edit', `origin/${base}`);
  if (!merged.ok) {
    // Whatever union could not resolve: keep our side, the merge queue judges.
    run('git', 'checkout', '--ours', '.');
    run('git', 'add', '-A');
  }
  if (existsSync('.git/MERGE_HEAD')) commit(`Merge ${base} into ${branch}`);
  else note({ commit: run('git', 'rev-parse', 'HEAD').trim() }); // the merge's own commit
}
if (fault === 'agent-killed-commit-push') {
  note({ fault });
  process.kill(process.pid, 'SIGKILL');
}
run('git', 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
if (fault === 'agent-exit-without-done') {
  note({ fault });
  process.exit(0);
}
run('gt', 'done');
console.log('[chaos-agent] done; waiting to be stopped');
await idle();
