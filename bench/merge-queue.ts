/**
 * Merge-queue throughput against a floor: the same MERGES branches merged, tested and pushed one
 * at a time, once by `gt run` (the refinery controller in the real loop, as a person runs it) and
 * once by a plain bash loop of the same git and test commands (bench/merge-loop.sh), side by side
 * in one run on identical fixtures, in halves (shell, gt, gt, shell). The test command takes about TEST_MS (default 1 s), as a
 * small real suite does: what gt adds on top of the git and test work is what the ratio shows.
 * Prints figures; asserts nothing. Runs alone with `node dist/bench/merge-queue.js`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MergeQueueStore } from '../src/refinery/requests.js';
import { procCpuMs } from './cpu.js';
import { epochMs, note, procMemMb, sleep } from './loop.js';
import { LoopTown } from './loop-town.js';
import type { SpawnEntry } from './spawn-log.js';
import { summarize } from './stats.js';

const MERGES = Number(process.env.GT_BENCH_MERGES ?? 30);
const TEST_MS = Number(process.env.GT_BENCH_MERGE_TEST_MS ?? 1000);
const TARGET_RATIO = 1.2;
const RIG = 'wyvern';
const TARGET = 'main';
const TEST_COMMAND = ['node', 'test.js'];
const POLL_MS = 50;
const here = path.dirname(fileURLToPath(import.meta.url));
/** The shell loop: a source file, run from the repository (dist/bench/ -> bench/). */
const SCRIPT = path.resolve(here, '../../bench/merge-loop.sh');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

/** The stand-in for a project's test suite: checks every merged change, then computes until TEST_MS after its own start. */
const TEST_JS = `import { readdirSync, readFileSync } from 'node:fs';
let passed = 0;
for (const f of readdirSync('.').filter((n) => /^f\\d+\\.txt$/.test(n))) {
  if (!readFileSync(f, 'utf8').startsWith('change ')) {
    console.error(f + ': unexpected content');
    process.exit(1);
  }
  passed++;
}
let x = 1;
while (performance.now() < ${TEST_MS}) x = (x * 31 + 7) % 1000003;
console.log(passed + ' passed, 0 failed (' + x + ')');
`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Branch {
  issueId: string;
  branch: string;
  head: string;
  message: string;
}

interface Side {
  wallMs: number;
  merged: number;
  /** Tree of the remote's main at the end: both sides must end on the same one. */
  tree: string;
  ownMs: number;
  programsMs: number;
}

export async function benchMergeQueue(): Promise<string[]> {
  note(`merge queue: building two identical fixtures (${MERGES} branches)`);
  const town = LoopTown.create({ name: 'bench-merge', rigs: [{ name: RIG, max: 1, suspend: true, testCommand: TEST_COMMAND }] });
  try {
    return await measure(town);
  } finally {
    await town.dispose();
  }
}

async function measure(town: LoopTown): Promise<string[]> {
  // The shell's remote and clone are copies made now, when the town's refinery clone is made:
  // both clones start equally behind, and every branch is pushed to both remotes.
  const shRemote = path.join(town.dir, 'shell-remote.git');
  const shClone = path.join(town.dir, 'shell-clone');
  git(town.dir, 'clone', '-q', '--mirror', town.remote, shRemote);
  git(town.dir, 'clone', '-q', shRemote, shClone);
  const work = path.join(town.dir, 'work');
  git(town.dir, 'clone', '-q', town.remote, work);
  writeFileSync(path.join(work, 'test.js'), TEST_JS);
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'a test suite of about a second');
  const tracker = town.tracker(RIG);
  const branches: Branch[] = [];
  for (let i = 0; i < MERGES; i++) {
    const title = `change ${i}`;
    const issue = await tracker.create({ title });
    await tracker.claim(issue.id, `${RIG}/polecats/bench`);
    const branch = `polecat/bench/${issue.id}`;
    git(work, 'checkout', '-q', '-b', branch, TARGET);
    writeFileSync(path.join(work, `f${i}.txt`), `change ${i}\n`);
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', title);
    // The refinery's merge message, so both sides make the same commits.
    branches.push({ issueId: issue.id, branch, head: git(work, 'rev-parse', 'HEAD').trim(), message: `Merge ${branch}: ${issue.id} ${title}` });
  }
  const refspecs = [`${TARGET}:${TARGET}`, ...branches.map((b) => `${b.branch}:${b.branch}`)];
  for (const remote of [town.remote, shRemote]) git(work, 'push', '-q', remote, ...refspecs);
  const testAlone = summarize([0, 1, 2].map(() => timeTest(work)));

  // In the order shell, gt, gt, shell (each side half the branches at a time): a machine whose
  // load drifts during the run weighs on both sides alike.
  const half = Math.ceil(MERGES / 2);
  const halves = [branches.slice(0, half), branches.slice(half)];
  const load = [os.loadavg()[0]!];
  note(`merge queue: shell loop, gt run, gt run, shell loop (${MERGES} merges in halves, test ~${TEST_MS} ms)`);
  const sh1 = await runShell(town, shClone, halves[0]!);
  const gt1 = await runGt(town, halves[0]!, 0);
  const gt2 = await runGt(town, halves[1]!, half);
  const sh2 = await runShell(town, shClone, halves[1]!);
  load.push(os.loadavg()[0]!);
  const shell: Side = { wallMs: sh1.wallMs + sh2.wallMs, merged: mergesOn(shRemote), tree: treeOf(shRemote), ownMs: 0, programsMs: sh1.programsMs + sh2.programsMs };
  const gt: Side = { wallMs: gt1.wallMs + gt2.wallMs, merged: mergesOn(town.remote), tree: treeOf(town.remote), ownMs: gt1.ownMs + gt2.ownMs, programsMs: gt1.programsMs + gt2.programsMs };
  return report({
    shell,
    gt,
    spawns: [...gt1.spawns, ...gt2.spawns],
    rssMb: Math.max(gt1.rssMb, gt2.rssMb),
    finished: gt1.finished && gt2.finished,
    testAlone: testAlone.median,
    load: [load[0]!, load[1]!],
  });
}

function timeTest(cwd: string): number {
  const t = epochMs();
  execFileSync(TEST_COMMAND[0]!, TEST_COMMAND.slice(1), { cwd, stdio: 'ignore' });
  return epochMs() - t;
}

interface Run {
  wallMs: number;
  /** gt run's own CPU; 0 for the shell, whose CPU is all in programsMs. */
  ownMs: number;
  programsMs: number;
}

async function runShell(town: LoopTown, clone: string, branches: Branch[]): Promise<Run> {
  const args = [SCRIPT, clone, TARGET, ...TEST_COMMAND, '--', ...branches.flatMap((b) => [b.branch, b.head, b.message])];
  const cpu0 = procCpuMs(process.pid)!;
  const start = epochMs();
  // Its own process group: the benchmark ending early (an error, SIGINT, SIGTERM) ends the loop and the git or test it runs.
  const child = spawn('bash', args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env, detached: true });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const forget = town.onDispose(stop);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  }).finally(forget);
  const wallMs = epochMs() - start;
  if (code !== 0) throw new Error(`bash ${SCRIPT} exited ${code}:\n${stderr}`);
  // bash was reaped by this process: its CPU and its programs' are in this process's children figure.
  const cpu1 = procCpuMs(process.pid)!;
  return { wallMs, ownMs: 0, programsMs: cpu1.childrenMs - cpu0.childrenMs };
}

/** Queues `branches` (the first is the `first`-th of all), then runs `gt run` until its queue is empty. */
async function runGt(town: LoopTown, branches: Branch[], first: number): Promise<Run & { spawns: SpawnEntry[]; rssMb: number; finished: boolean }> {
  const queue = new MergeQueueStore(path.join(town.root, '.gt', 'merge-queue'));
  const t0 = Date.parse('2020-01-01T00:00:00Z');
  // readyAt in branch order: the refinery takes them in the order the shell loop does.
  for (const [i, b] of branches.entries()) await queue.put(RIG, { issueId: b.issueId, branch: b.branch, head: b.head, polecat: 'bench', readyAt: new Date(t0 + (first + i) * 1000).toISOString() });
  const start = epochMs();
  const loop = town.startLoop({ spawnLog: true });
  // Generous: a loop that stalls between merges is reported, not waited for forever.
  const deadline = start + branches.length * (TEST_MS + 5000) + 60_000;
  let finished = false;
  let rssMb = 0;
  while (epochMs() < deadline) {
    loop.check();
    rssMb = Math.max(rssMb, procMemMb(loop.pid)?.rss ?? 0);
    if (!(await queue.list(RIG)).length && !(await queue.current(RIG))) {
      finished = true;
      break;
    }
    await sleep(POLL_MS);
  }
  const wallMs = epochMs() - start;
  const cpu = loop.cpu()!;
  const spawns = (await loop.spawnLog()).filter((e) => e.t0 >= start);
  await loop.stop();
  if (!finished) note(`merge queue: gt run had not emptied the queue after ${(wallMs / 1000).toFixed(0)} s`);
  return { wallMs, ownMs: cpu.gtMs, programsMs: cpu.childrenMs, spawns, rssMb, finished };
}

function mergesOn(bare: string): number {
  return Number(git(bare, 'rev-list', '--merges', '--count', TARGET).trim());
}

function treeOf(bare: string): string {
  return git(bare, 'rev-parse', `${TARGET}^{tree}`).trim();
}

interface Figures {
  shell: Side;
  gt: Side;
  spawns: SpawnEntry[];
  rssMb: number;
  finished: boolean;
  testAlone: number;
  load: [number, number];
}

function report(f: Figures): string[] {
  const { shell, gt } = f;
  const perMin = (s: Side) => (s.merged / s.wallMs) * 60_000;
  const perMerge = (s: Side) => s.wallMs / Math.max(1, s.merged);
  const ratio = gt.wallMs / shell.wallMs;
  const complete = f.finished && gt.merged === MERGES && shell.merged === MERGES;
  const sameTree = gt.tree === shell.tree;
  const programs = countBy(f.spawns);
  const line = (label: string, s: Side, cpu: string) =>
    `  ${label.padEnd(34)}${s.merged.toString().padStart(3)} merged in ${(s.wallMs / 1000).toFixed(1).padStart(5)} s   ${perMin(s).toFixed(1).padStart(5)} merges/min   ${perMerge(s).toFixed(0).padStart(5)} ms per merge   ${cpu}`;
  const verdict = !complete
    ? `NOT MET (gt merged ${gt.merged} of ${MERGES}${f.finished ? '' : ', the queue was not empty at the deadline'}; the shell ${shell.merged})`
    : `${ratio <= TARGET_RATIO ? 'met' : 'NOT MET'} (${ratio.toFixed(2)}x: gt ${(gt.wallMs / 1000).toFixed(1)} s, shell ${(shell.wallMs / 1000).toFixed(1)} s)`;
  return [
    `merge queue: ${MERGES} non-conflicting branches, strategy merge, one at a time; test command "${TEST_COMMAND.join(' ')}" ~${TEST_MS} ms (measured alone: ${f.testAlone.toFixed(0)} ms; it computes, as a suite does)`,
    `  gt: gt run (resync default, rig suspended: no polecats; the refinery merges what is queued), from its spawn to an empty queue, polled every ${POLL_MS} ms`,
    `  floor: bash bench/merge-loop.sh, the refinery's git calls in the same order (fetch, checkout -B, clean, cat-file, merge --no-ff, test, push, reset, clean), from spawn to exit`,
    `  in halves, in the order shell, gt, gt, shell (a drifting machine load weighs on both alike); gt run is started once per half`,
    `  ${os.cpus().length} CPUs, load average ${f.load[0].toFixed(1)} at the start, ${f.load[1].toFixed(1)} at the end`,
    line('shell loop', shell, `CPU: bash, git and the tests ${(shell.programsMs / 1000).toFixed(1)} s`),
    line('gt run', gt, `CPU: gt's own ${(gt.ownMs / 1000).toFixed(1)} s, git and the tests ${(gt.programsMs / 1000).toFixed(1)} s`),
    `  gt over the floor: ${((gt.wallMs - shell.wallMs) / Math.max(1, gt.merged)).toFixed(0)} ms per merge; gt run's max RSS ${f.rssMb.toFixed(0)} MB; both remotes end on the same tree: ${sameTree ? 'yes' : 'NO'}`,
    `  programs gt run started: ${f.spawns.length} (${(f.spawns.length / Math.max(1, gt.merged)).toFixed(1)} per merge: ${programs || 'none'}); the shell loop: 9 per merge`,
    `  target: gt's wall time within ${TARGET_RATIO}x of the shell loop's: ${verdict}`,
  ];
}

function countBy(entries: SpawnEntry[]): string {
  const n = new Map<string, number>();
  for (const e of entries) n.set(e.cmd, (n.get(e.cmd) ?? 0) + 1);
  return [...n.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([cmd, k]) => `${k} ${cmd}`)
    .join(', ');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchMergeQueue()) console.log(line);
}
