/**
 * The `diff` section of `npm run bench`: how long `gt diff` takes on a town of 20 rigs (40 real
 * clones of a small repository), and where that time goes. Prints figures; asserts nothing (see
 * bench/README.md). Runs alone with `node dist/bench/diff.js`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONTROLLERS } from '../controllers/registry.js';
import { git } from '../src/adapters/git.js';
import { run as runProcess } from '../src/adapters/process.js';
import { isClean, Reconciler, worldFrom } from '../src/engine/reconciler.js';
import { EventLog } from '../src/store/events.js';
import { Store } from '../src/store/store.js';
import { TownServices } from '../src/town/services.js';
import { townPaths } from '../src/town/layout.js';
import { countSpawns, measureCpu, type CpuSplit } from './cpu.js';
import { applyTown, makeBareRepo, rigName, writeTownManifest } from './fixture.js';
import { heading, ms, nowMs, pct, row, timeAsync, timeProcesses, type Sample } from './stats.js';

const RIGS = 20;
const RUNS = Number(process.env.GT_BENCH_RUNS ?? 15);
const WARMUPS = 2;
const TARGET_MS = 300;
/** The git calls observeRig makes for each of a rig's two clones (src/adapters/git.ts, inspectClone). */
const STATUS_ARGS = ['status', '--porcelain=v2', '--branch', '--show-stash', '--untracked-files=normal'];
const REMOTE_ARGS = ['config', '--get', 'remote.origin.url'];
const CALLS_PER_RIG = 4; // 2 clones x (status + config); the report says so when the product's count differs
const SPAWNS = RUNS * 2;

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../bundle/main.js');
const DIFF_MODULE = pathToFileURL(path.resolve(here, '../src/cli/commands/diff.js')).href;
const ENGINE_MODULE = pathToFileURL(path.resolve(here, '../src/engine/reconciler.js')).href;
const node = process.execPath;

/** The report, collected by `say` and returned by benchDiff. */
let out: string[] = [];
function say(line = ''): void {
  out.push(line);
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
  const reconciler = new Reconciler({ root, paths, store, services: new TownServices(root) }, new EventLog(paths.events), CONTROLLERS);
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
    SPAWNS,
    WARMUPS,
  );
}

export async function benchDiff(): Promise<string[]> {
  out = [];
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gt-bench-')));
  try {
    await bench(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const lines = out;
  out = [];
  return lines;
}

async function bench(tmp: string): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  note(`building the fixture in ${tmp}`);
  const repo = makeBareRepo(tmp);
  const root20 = path.join(tmp, 'town20');
  const root1 = path.join(tmp, 'town1');
  const t0 = nowMs();
  applyTown(CLI, writeTownManifest(path.join(tmp, 'manifests'), 'bench20', root20, repo, RIGS), root20);
  const applyMs = nowMs() - t0;
  applyTown(CLI, writeTownManifest(path.join(tmp, 'manifests'), 'bench1', root1, repo, 1), root1);
  note(`gt apply of ${RIGS} rigs (${RIGS * 2} clones) took ${applyMs.toFixed(0)} ms; both towns in sync`);

  // 1. Whole processes, as a person or a script runs them.
  note(`timing whole processes (${RUNS} rounds after ${WARMUPS} warm-ups)`);
  const importOf = (href: string) => ['--input-type=module', '-e', `await import(${JSON.stringify(href)})`];
  const p = timeProcesses(
    {
      diff20: { cmd: node, args: [CLI, 'diff', '--town', root20] },
      diff1: { cmd: node, args: [CLI, 'diff', '--town', root1] },
      help: { cmd: node, args: [CLI, '--help'] },
      bare: { cmd: node, args: ['-e', ''] },
      engine: { cmd: node, args: importOf(ENGINE_MODULE) },
      diffModule: { cmd: node, args: importOf(DIFF_MODULE) },
    },
    { runs: RUNS, warmups: WARMUPS },
  );

  // 2. In process: planning alone, no start-up; CPU split while planning 20 rigs.
  note('timing Reconciler.planAll in process');
  let plan20: Sample | undefined;
  const cpu = await measureCpu(async () => {
    plan20 = await timeAsync(planner(root20), RUNS, WARMUPS);
  });
  const plan1 = await timeAsync(planner(root1), RUNS, WARMUPS);
  const plan20serial = await timeAsync(planner(root20, 1), RUNS, WARMUPS);
  const spawnsPerRig = ((await countSpawns(planner(root20))) - (await countSpawns(planner(root1)))) / (RIGS - 1);

  // 3. The unavoidable part: the git calls observe makes for one clone, one at a time.
  note('timing the git calls on one clone');
  const clone = path.join(root20, rigName(1), 'refinery', 'rig');
  const status = await timeGit(clone, STATUS_ARGS);
  const remote = await timeGit(clone, REMOTE_ARGS);
  let spawnTrue: Sample | undefined;
  const spawnCpu = await measureCpu(async () => {
    spawnTrue = await timeAsync(async () => void (await runProcess('true', [])), SPAWNS, WARMUPS);
  });

  report({ p, spawnsPerRig, plan20: plan20!, plan1, plan20serial, cpu, status, remote, spawnTrue: spawnTrue!, spawnCpu, applyMs, load: [loadBefore, os.loadavg()[0]!] });
}

interface Figures {
  p: Record<'diff20' | 'diff1' | 'help' | 'bare' | 'engine' | 'diffModule', Sample>;
  /** Processes planAll spawns per rig, counted. */
  spawnsPerRig: number;
  plan20: Sample;
  plan1: Sample;
  plan20serial: Sample;
  cpu: CpuSplit;
  status: Sample;
  remote: Sample;
  spawnTrue: Sample;
  spawnCpu: CpuSplit;
  applyMs: number;
  load: [number, number];
}

function report(f: Figures): void {
  const { p } = f;
  const planRuns = RUNS + WARMUPS;
  const perRigProcess = (p.diff20.median - p.diff1.median) / (RIGS - 1);
  const perRigPlan = (f.plan20.median - f.plan1.median) / (RIGS - 1);
  const gitPerRigSerial = 2 * (f.status.median + f.remote.median);
  const serialPerRig = f.plan20serial.median / RIGS;
  const selfPerRig = f.cpu.selfMs / planRuns / RIGS;
  const childPerRig = f.cpu.childrenMs === undefined ? undefined : f.cpu.childrenMs / planRuns / RIGS;
  const spawnSelfPerCall = f.spawnCpu.selfMs / (SPAWNS + WARMUPS);
  const spawnPerRig = f.spawnsPerRig * spawnSelfPerCall;
  const cpus = os.cpus().length;

  say(`gt diff benchmark: town of ${RIGS} rigs (${RIGS * 2} clones of a 3-commit repository)`);
  say(
    `node ${process.version}, ${version('git', ['--version'])}, ${cpus} CPU${cpus === 1 ? '' : 's'}, ${os.platform()}; load average ${f.load[0].toFixed(1)} at start, ${f.load[1].toFixed(1)} at end`,
  );
  say(`${RUNS} timed runs after ${WARMUPS} warm-ups (processes interleaved round-robin); apply of ${RIGS} rigs took ${(f.applyMs / 1000).toFixed(1)} s`);
  say('');
  say(heading('Whole process (wall ms)'));
  say(row(`gt diff, ${RIGS} rigs`, p.diff20));
  say(row('gt diff, 1 rig', p.diff1));
  say(row('gt --help (start-up + commander)', p.help));
  say(row("node -e '' (bare node)", p.bare));
  say(row('node + import engine (reconciler, controllers)', p.engine));
  say(row('node + import commands/diff.js (engine + apply/)', p.diffModule));
  say(`  -> per rig   ${ms(perRigProcess)} ms   (t${RIGS} - t1) / ${RIGS - 1}`);
  say(
    `  -> fixed     ${ms(p.diff1.median - perRigProcess)} ms   t1 - per rig: node ${p.bare.median.toFixed(0)}, module loading ~${(p.diffModule.median - p.bare.median).toFixed(0)} (of it apply/ for -f: ~${(p.diffModule.median - p.engine.median).toFixed(0)}), store + Town`,
  );
  say('');
  say(heading('In process: Reconciler.planAll (wall ms)'));
  say(row(`${RIGS} rigs, concurrency 8 (as gt diff)`, f.plan20));
  say(row('1 rig', f.plan1));
  say(row(`${RIGS} rigs, concurrency 1`, f.plan20serial, `= ${serialPerRig.toFixed(1)} ms per rig`));
  say(`  -> per rig   ${ms(perRigPlan)} ms   (t${RIGS} - t1) / ${RIGS - 1}, concurrency 8`);
  say('');
  say(heading('Git calls on one clone, one at a time (wall ms)'));
  say(row(`git ${STATUS_ARGS.slice(0, 2).join(' ')} ...`, f.status));
  say(row(`git ${REMOTE_ARGS.join(' ')}`, f.remote));
  say(row('`true` through the same run() (spawn floor)', f.spawnTrue));
  say(`  -> per rig   ${ms(gitPerRigSerial)} ms   ${CALLS_PER_RIG} calls (2 clones x status + config), back to back`);
  if (f.spawnsPerRig !== CALLS_PER_RIG) say(`  note: planAll spawned ${f.spawnsPerRig.toFixed(1)} processes per rig, not the ${CALLS_PER_RIG} these lines assume`);
  say('');
  say(`Where the per-rig cost goes (CPU ms per rig while planning ${RIGS} rigs in process)`);
  if (childPerRig !== undefined) {
    const total = selfPerRig + childPerRig;
    const ownJs = Math.max(0, selfPerRig - spawnPerRig);
    say(`  git processes (children)           ${ms(childPerRig)}  ${pct(childPerRig, total).padStart(4)}`);
    say(
      `  gt: spawning them (${f.spawnsPerRig.toFixed(0)} x ${spawnSelfPerCall.toFixed(1)} ms)      ${ms(Math.min(spawnPerRig, selfPerRig))}  ${pct(Math.min(spawnPerRig, selfPerRig), total).padStart(4)}`,
    );
    say(`  gt: own code (fs, plan, parsing)   ${ms(ownJs)}  ${pct(ownJs, total).padStart(4)}`);
    say(`  total                              ${ms(total)}   on ${cpus} CPU${cpus === 1 ? '' : 's'}: >= ${(total / cpus).toFixed(1)} ms wall per rig`);
  } else {
    say(`  gt's process: ${selfPerRig.toFixed(1)} ms, of it ~${spawnPerRig.toFixed(1)} ms spawning git (children's CPU not measurable on ${os.platform()})`);
  }
  say('');
  const met = p.diff20.median < TARGET_MS;
  say(`Target: gt diff on ${RIGS} rigs under ${TARGET_MS} ms (median): ${met ? 'met' : 'NOT MET'} (${p.diff20.median.toFixed(0)} ms median, ${p.diff20.p90.toFixed(0)} ms p90)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchDiff()) process.stdout.write(line + '\n');
}
