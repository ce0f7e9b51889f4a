/**
 * `npm run bench`: how long `gt diff` takes on a town of 20 rigs (40 real clones of a small
 * repository), and where that time goes. Prints figures; asserts nothing (see bench/README.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { git } from '../src/adapters/git.js';
import { run as runProcess } from '../src/adapters/process.js';
import { isClean, Reconciler, worldFrom } from '../src/engine/reconciler.js';
import { EventLog } from '../src/store/events.js';
import { Store } from '../src/store/store.js';
import { townPaths } from '../src/town/layout.js';
import { measureCpu } from './cpu.js';
import { applyTown, makeBareRepo, rigName, writeTownManifest } from './fixture.js';
import { ms, nowMs, pct, row, timeAsync, timeProcess, type Sample } from './stats.js';

const RIGS = 20;
const RUNS = Number(process.env.GT_BENCH_RUNS ?? 15);
const WARMUPS = 2;
const TARGET_MS = 300;
/** The git calls observeRig makes for each of a rig's two clones (src/adapters/git.ts, inspectClone). */
const STATUS_ARGS = ['status', '--porcelain=v2', '--branch', '--show-stash', '--untracked-files=normal'];
const REMOTE_ARGS = ['config', '--get', 'remote.origin.url'];
const CALLS_PER_RIG = 4; // 2 clones x (status + config)

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../src/cli/main.js');
const DIFF_MODULE = pathToFileURL(path.resolve(here, '../src/cli/commands/diff.js')).href;
const node = process.execPath;

function say(line = ''): void {
  process.stdout.write(line + '\n');
}

/** A progress note on stderr, so stdout holds only the report. */
function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

/** The in-process equivalent of `gt diff` without start-up: read the store, observe and plan every object. */
function planner(root: string, concurrency?: number): () => Promise<void> {
  const paths = townPaths(root);
  const store = new Store(paths.storeDir);
  const reconciler = new Reconciler(root, store, new EventLog(paths.events));
  return async () => {
    const plans = await reconciler.planAll(worldFrom(await store.list()), concurrency);
    const dirty = plans.filter((p) => !isClean(p));
    if (dirty.length) throw new Error(`planAll on ${root} is not in sync: ${dirty.map((p) => p.key).join(', ')}`);
  };
}

/** Median wall time of one git call as the product makes it (same flags and env), one at a time. */
async function timeGit(cwd: string, args: string[]): Promise<Sample> {
  return timeAsync(
    async () => {
      const r = await git(args, { cwd });
      if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${cwd} failed: ${r.stderr}`);
    },
    RUNS * 2,
    WARMUPS,
  );
}

async function main(): Promise<void> {
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gt-bench-')));
  try {
    await bench(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function bench(tmp: string): Promise<void> {
  note(`building the fixture in ${tmp}`);
  const repo = makeBareRepo(tmp);
  const root20 = path.join(tmp, 'town20');
  const root1 = path.join(tmp, 'town1');
  let t0 = nowMs();
  applyTown(CLI, writeTownManifest(path.join(tmp, 'manifests'), 'bench20', root20, repo, RIGS), root20);
  const applyMs = nowMs() - t0;
  applyTown(CLI, writeTownManifest(path.join(tmp, 'manifests'), 'bench1', root1, repo, 1), root1);
  note(`gt apply of ${RIGS} rigs (${RIGS * 2} clones) took ${applyMs.toFixed(0)} ms; both towns in sync`);

  // 1. Whole processes, as a person or a script runs them.
  note(`timing whole processes (${RUNS} runs after ${WARMUPS} warm-ups each)`);
  const opts = { runs: RUNS, warmups: WARMUPS };
  const diff20 = timeProcess(node, [CLI, 'diff', '--town', root20], opts);
  const diff1 = timeProcess(node, [CLI, 'diff', '--town', root1], opts);
  const help = timeProcess(node, [CLI, '--help'], opts);
  const bare = timeProcess(node, ['-e', ''], opts);
  const imports = timeProcess(node, ['--input-type=module', '-e', `await import(${JSON.stringify(DIFF_MODULE)})`], opts);

  // 2. In process: planning alone, no start-up.
  note('timing Reconciler.planAll in process');
  const plan20 = await timeAsync(planner(root20), RUNS, WARMUPS);
  const plan1 = await timeAsync(planner(root1), RUNS, WARMUPS);
  const plan20serial = await timeAsync(planner(root20, 1), RUNS, WARMUPS);
  const cpuRuns = RUNS;
  const plan = planner(root20);
  const cpu = await measureCpu(async () => {
    for (let i = 0; i < cpuRuns; i++) await plan();
  });

  // 3. The unavoidable part: the git calls observe makes for one clone, one at a time.
  note('timing the git calls on one clone');
  const clone = path.join(root20, rigName(1), 'refinery', 'rig');
  const status = await timeGit(clone, STATUS_ARGS);
  const remote = await timeGit(clone, REMOTE_ARGS);
  const spawnTrue = await timeAsync(
    async () => {
      await runProcess('true', []);
    },
    RUNS * 2,
    WARMUPS,
  );

  // Derived figures.
  const perRigProcess = (diff20.median - diff1.median) / (RIGS - 1);
  const fixed = diff1.median - perRigProcess;
  const perRigPlan = (plan20.median - plan1.median) / (RIGS - 1);
  const gitPerRigSerial = 2 * (status.median + remote.median);
  const serialPerRig = plan20serial.median / RIGS;
  const selfPerRig = cpu.selfMs / cpuRuns / RIGS;
  const childPerRig = cpu.childrenMs === undefined ? undefined : cpu.childrenMs / cpuRuns / RIGS;

  const cpus = os.cpus().length;
  say(`gt diff benchmark: town of ${RIGS} rigs (${RIGS * 2} clones of a 3-commit repository)`);
  say(`node ${process.version}, ${version('git', ['--version'])}, ${cpus} CPU${cpus === 1 ? '' : 's'}, ${os.platform()}; ${RUNS} timed runs after ${WARMUPS} warm-ups`);
  say('');
  say(`Whole process (wall time, ms)${' '.repeat(14)}median     p90`);
  say(row(`gt diff, ${RIGS} rigs`, diff20));
  say(row('gt diff, 1 rig', diff1));
  say(row('gt --help (start-up, commander)', help));
  say(row("node -e '' (bare node)", bare));
  say(row('node + import of the diff module graph', imports));
  say(`  -> per rig   ${ms(perRigProcess)} ms   (t${RIGS} - t1) / ${RIGS - 1}`);
  say(`  -> fixed     ${ms(fixed)} ms   start-up, module loading, store read, Town`);
  say('');
  say(`In process: Reconciler.planAll (store read + observe + plan; ms)`);
  say(row(`${RIGS} rigs, concurrency 8 (as gt diff)`, plan20));
  say(row('1 rig', plan1));
  say(row(`${RIGS} rigs, concurrency 1`, plan20serial, `${ms(serialPerRig, 0)} ms per rig, one rig at a time`));
  say(`  -> per rig   ${ms(perRigPlan)} ms   (t${RIGS} - t1) / ${RIGS - 1}, concurrency 8`);
  say(`  CPU per rig: ${selfPerRig.toFixed(1)} ms in gt's own process (JS, spawning, pipes)` + (childPerRig === undefined ? '' : `, ${childPerRig.toFixed(1)} ms in its ${CALLS_PER_RIG} git children`));
  say('');
  say(`Git calls per clone, as observe makes them, one at a time (ms)`);
  say(row(`git ${STATUS_ARGS.slice(0, 2).join(' ')} ...`, status));
  say(row(`git ${REMOTE_ARGS.join(' ')}`, remote));
  say(row('spawn of `true` through run() (floor)', spawnTrue));
  say(`  -> per rig   ${ms(gitPerRigSerial)} ms   ${CALLS_PER_RIG} calls (2 clones x 2), back to back`);
  say('');
  say('Where the per-rig cost goes');
  if (childPerRig !== undefined) {
    const total = selfPerRig + childPerRig;
    say(`  CPU: git ${childPerRig.toFixed(1)} ms (${pct(childPerRig, total)}), gt's process ${selfPerRig.toFixed(1)} ms (${pct(selfPerRig, total)}) of ${total.toFixed(1)} ms per rig`);
    say(`       of gt's share, ~${(CALLS_PER_RIG * spawnTrue.median).toFixed(1)} ms is spawning ${CALLS_PER_RIG} processes (${CALLS_PER_RIG} x the \`true\` floor, wall time)`);
  }
  say(`  Wall: one rig alone costs ${serialPerRig.toFixed(1)} ms in process; its git calls back to back ${gitPerRigSerial.toFixed(1)} ms;`);
  say(`        with concurrency 8 on ${cpus} CPUs a rig adds ${perRigPlan.toFixed(1)} ms in process, ${perRigProcess.toFixed(1)} ms to the gt diff process`);
  say('');
  const met = diff20.median < TARGET_MS;
  say(`Target: gt diff on ${RIGS} rigs under ${TARGET_MS} ms (median): ${met ? 'MET' : 'NOT MET'} (${diff20.median.toFixed(0)} ms median, ${diff20.p90.toFixed(0)} ms p90)`);
}

await main();
