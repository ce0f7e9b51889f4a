/**
 * Spawn latency: the time from a new ready issue appearing to its polecat's tmux session
 * running, with the `gt run` loop running (the issue's target: under 1 s). The town's resync is
 * 1h, so only the loop's file watch on the rig's `.beads/` can wake it. The issue is added two
 * ways, alternately: in this process with the same JsonlTracker the loop reads (the file is
 * written when `create` resolves), and with `gt issues create` (a person's way; it includes the
 * CLI's own start-up). Prints figures; asserts nothing. Runs alone with
 * `node dist/bench/spawn-latency.js`; GT_BENCH_LATENCY_RUNS sets the runs per way (default 8).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { procCpuMs } from './cpu.js';
import { epochMs, note, sleep, until } from './loop.js';
import { LoopTown } from './loop-town.js';
import type { SpawnEntry } from './spawn-log.js';
import { summarize } from './stats.js';

const RUNS = Number(process.env.GT_BENCH_LATENCY_RUNS ?? 8);
const WARMUPS = 1;
const TARGET_MS = 1000;
const POLL_MS = 10;
const TIMEOUT_MS = 20_000;
const RIG = 'wyvern';
/** Every run's stuck polecat stays, so capacity must cover them all. */
const MAX = Math.min(64, WARMUPS + 2 * RUNS + 1);

type Method = 'tracker' | 'cli';
/** CPU this benchmark used (itself and its tmux/gt children) while the runs went on, % of one core. */
let pollerCpuPct = NaN;

interface Run {
  method: Method;
  id: string;
  /** Before JsonlTracker.create / before spawning `gt issues create`. */
  startMs: number;
  /** create resolved (the file is renamed into place) / the CLI process exited. */
  writtenMs: number;
  /** First poll that saw the issue's worker record (.gt/workers/RIG/NAME.json, the spawn's first write). */
  recordMs?: number;
  /** First poll that saw a running pane whose @gt_issue is the issue. */
  sessionMs?: number;
}

interface Figures {
  /** first process the loop started after the issue was written, minus written. */
  detect?: number;
  gitMs: number;
  gitCalls: number;
  tmuxMs: number;
  tmuxCalls: number;
}

export async function benchLatency(): Promise<string[]> {
  note(`spawn latency: building a town (1 rig, workers.max ${MAX}, resync 1h)`);
  const town = LoopTown.create({ name: 'bench-latency', rigs: [{ name: RIG, max: MAX }], resync: '1h', stuckAfter: '1h' });
  try {
    return await measure(town);
  } finally {
    await town.dispose();
  }
}

async function measure(town: LoopTown): Promise<string[]> {
  const loop = town.startLoop({ spawnLog: true });
  await until(() => loop.lines.some((l) => l.text.includes('gt run: reconciling')), 'gt run to start', 30_000);
  // The watch on .beads/ is added by the loop's first pass; quiet means that pass is over.
  await loop.waitQuiet(1000, 30_000);

  const runs: Run[] = [];
  const poller0 = procCpuMs(process.pid)!;
  const wall0 = epochMs();
  const order: Method[] = [...Array<Method>(WARMUPS).fill('tracker')];
  for (let i = 0; i < RUNS; i++) order.push(...(i % 2 ? (['cli', 'tracker'] as const) : (['tracker', 'cli'] as const)));
  note(`spawn latency: ${order.length} issues, one at a time (${WARMUPS} warm-up)`);
  for (const [i, method] of order.entries()) {
    runs.push(await once(town, method, i));
    await loop.waitQuiet(400, 30_000);
  }
  const poller1 = procCpuMs(process.pid)!;
  pollerCpuPct = (100 * (poller1.selfMs + poller1.childrenMs - poller0.selfMs - poller0.childrenMs)) / (epochMs() - wall0);
  const log = await loop.spawnLog();
  if (process.env.GT_BENCH_LATENCY_TRACE) for (const r of runs) trace(r, log);
  return report(runs.slice(WARMUPS), log);
}

async function once(town: LoopTown, method: Method, i: number): Promise<Run> {
  const title = `Bench latency ${i} (${method})`;
  const startMs = epochMs();
  let id: string;
  let writtenMs: number;
  if (method === 'tracker') {
    id = (await town.tracker(RIG).create({ title })).id;
    writtenMs = epochMs();
  } else {
    const r = await town.gt(['issues', 'create', title, '--rig', RIG, '-o', 'json']);
    if (r.code !== 0) throw new Error(`gt issues create exited ${r.code}: ${r.stderr}`);
    id = (JSON.parse(r.stdout) as { id: string }).id;
    writtenMs = r.exitMs;
  }
  const run: Run = { method, id, startMs, writtenMs };
  const end = epochMs() + TIMEOUT_MS;
  while (run.sessionMs === undefined && epochMs() < end) {
    const t = epochMs();
    // The worker record is the spawn's first write; the session is started after it. Until the
    // record is there, reading it (in process) is enough: a tmux client every 10 ms would cost a
    // good part of a core, which the loop needs on a small machine.
    if (run.recordMs === undefined) {
      if ((await town.records(RIG)).some((r) => r.issueId === id)) run.recordMs = epochMs();
    }
    if (run.recordMs !== undefined) {
      const panes = await town.panes();
      if (panes.some((p) => p.issue === id && !p.dead)) run.sessionMs = epochMs();
    }
    town.loop!.check();
    await sleep(Math.max(0, POLL_MS - (epochMs() - t)));
  }
  if (run.sessionMs === undefined) note(`spawn latency: no running session for ${id} after ${TIMEOUT_MS} ms`);
  return run;
}

/** GT_BENCH_LATENCY_TRACE=1: one run's timeline on stderr, ms from the write, with every process the loop started. */
function trace(run: Run, log: SpawnEntry[]): void {
  const at = (t: number | undefined) => (t === undefined ? '-' : (t - run.writtenMs).toFixed(0));
  note(`trace ${run.id} (${run.method}): start ${at(run.startMs)}, written 0, record seen ${at(run.recordMs)}, session seen ${at(run.sessionMs)}`);
  for (const e of log.filter((x) => x.t0 >= run.startMs && x.t0 <= (run.sessionMs ?? Infinity) + 500)) note(`  ${at(e.t0).padStart(6)} +${(e.ms ?? NaN).toFixed(0).padStart(4)}  ${e.cmd}`);
}

/**
 * What the loop's own processes tell about one run: its first process after the write (observe's
 * tmux list-panes), and the git and tmux calls of the spawn itself (every call but the listings)
 * up to the session.
 */
function figures(run: Run, log: SpawnEntry[]): Figures {
  const mine = log.filter((e) => e.t0 >= run.startMs && e.t0 <= (run.sessionMs ?? Infinity));
  const act = mine.filter((e) => e.cmd !== 'tmux list-panes');
  const of = (prefix: string) => act.filter((e) => e.cmd.startsWith(prefix));
  const first = mine[0];
  return {
    ...(first ? { detect: first.t0 - run.writtenMs } : {}),
    gitMs: of('git').reduce((a, e) => a + (e.ms ?? 0), 0),
    gitCalls: of('git').length,
    tmuxMs: of('tmux').reduce((a, e) => a + (e.ms ?? 0), 0),
    tmuxCalls: of('tmux').length,
  };
}

function stat(values: (number | undefined)[]): { median: number; p90: number; max: number; n: number } | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (!v.length) return undefined;
  const s = summarize(v);
  return { median: s.median, p90: s.p90, max: Math.max(...v), n: v.length };
}

const LABEL = 66;
function line(label: string, values: (number | undefined)[], extra = ''): string {
  const s = stat(values);
  const cols = s ? [s.median, s.p90, s.max].map((x) => x.toFixed(0).padStart(7)).join(' ') : '      -       -       -';
  return `  ${label.padEnd(LABEL)}${cols}${extra ? `   ${extra}` : ''}`;
}

function report(runs: Run[], log: SpawnEntry[]): string[] {
  const of = (m: Method) => runs.filter((r) => r.method === m);
  const tracker = of('tracker');
  const cli = of('cli');
  const lost = runs.filter((r) => r.sessionMs === undefined);
  const fig = new Map(runs.map((r) => [r, figures(r, log)]));
  const f = (rs: Run[], pick: (x: Figures) => number | undefined) => rs.map((r) => pick(fig.get(r)!));
  const d = (rs: Run[], a: (r: Run) => number | undefined, b: (r: Run) => number | undefined) => rs.map((r) => (a(r) === undefined || b(r) === undefined ? undefined : a(r)! - b(r)!));
  const perRun = (rs: Run[], pick: (x: Figures) => number) => (rs.length ? (rs.reduce((a, r) => a + pick(fig.get(r)!), 0) / rs.length).toFixed(1) : '-');

  const lines = [
    `spawn latency: new ready issue -> its polecat's tmux session running, with gt run looping`,
    `  1 rig, workers.max ${MAX}, spawnDelay 0s, agent gt demo-agent --mode stuck; Town resync 1h, so only the file watch wakes the loop`,
    `  ${RUNS} runs per way (alternating) after ${WARMUPS} warm-up; worker records, then tmux, polled every ${POLL_MS} ms (first poll that saw it)`,
    `  ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}; the benchmark itself (polls, gt issues create) used ${pollerCpuPct.toFixed(0)}% of a core meanwhile`,
    `  ${'ms'.padEnd(LABEL)}${'median'.padStart(7)} ${'p90'.padStart(7)} ${'max'.padStart(7)}`,
    `  issue written in process (JsonlTracker.create, the loop's own file format):`,
    line(
      '  written -> session running',
      d(
        tracker,
        (r) => r.sessionMs,
        (r) => r.writtenMs,
      ),
    ),
    line(
      "    written -> the loop's first process (watch, debounce, lock)",
      f(tracker, (x) => x.detect),
    ),
    line(
      '    written -> worker record (+ observe, plan)',
      d(
        tracker,
        (r) => r.recordMs,
        (r) => r.writtenMs,
      ),
    ),
    line(
      '    worker record -> session running (claim, clone, tmux)',
      d(
        tracker,
        (r) => r.sessionMs,
        (r) => r.recordMs,
      ),
    ),
    line(
      '      of it, in git processes',
      f(tracker, (x) => x.gitMs),
      `${perRun(tracker, (x) => x.gitCalls)} git calls per spawn, one after another`,
    ),
    line(
      '      of it, in tmux processes',
      f(tracker, (x) => x.tmuxMs),
      `${perRun(tracker, (x) => x.tmuxCalls)} tmux calls per spawn`,
    ),
    line(
      '  JsonlTracker.create itself (lock, read, rename)',
      d(
        tracker,
        (r) => r.writtenMs,
        (r) => r.startMs,
      ),
    ),
    `  issue created with gt issues create (a person's way):`,
    line(
      '  CLI exit (issue in the file) -> session running',
      d(
        cli,
        (r) => r.sessionMs,
        (r) => r.writtenMs,
      ),
    ),
    line(
      '  CLI start -> session running (what the person waits)',
      d(
        cli,
        (r) => r.sessionMs,
        (r) => r.startMs,
      ),
    ),
    line(
      '    gt issues create process, start -> exit',
      d(
        cli,
        (r) => r.writtenMs,
        (r) => r.startMs,
      ),
    ),
  ];
  if (lost.length) lines.push(`  ${lost.length} run(s) saw no running session within ${TIMEOUT_MS / 1000} s: ${lost.map((r) => r.id).join(', ')} (left out of the figures above)`);
  const judge = (rs: Run[], from: (r: Run) => number) => {
    const s = stat(rs.map((r) => (r.sessionMs === undefined ? Infinity : r.sessionMs - from(r))));
    const all = rs.length > 0 && rs.every((r) => r.sessionMs !== undefined);
    if (!s || !all) return `NOT MET (${rs.length - (s?.n ?? 0)} of ${rs.length} runs had no session in ${TIMEOUT_MS / 1000} s)`;
    return `${s.max < TARGET_MS ? 'met' : 'NOT MET'} (max ${s.max.toFixed(0)} ms, median ${s.median.toFixed(0)} ms)`;
  };
  lines.push(
    `  target: session running under ${TARGET_MS} ms after the issue appears, in every run (max)`,
    `    session < ${TARGET_MS} ms after an issue written in process: ${judge(tracker, (r) => r.writtenMs)}`,
    `    session < ${TARGET_MS} ms after gt issues create exits: ${judge(cli, (r) => r.writtenMs)}`,
    `    session < ${TARGET_MS} ms after gt issues create starts (with the CLI's start-up): ${judge(cli, (r) => r.startMs)}`,
  );
  return lines;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of await benchLatency()) process.stdout.write(l + '\n');
}
