/**
 * Idle loop: what `gt run` costs while 20 polecats work and nothing changes (the issue's target:
 * under 1% of a core and under 150 MB). Two rigs of 10 workers each run the demo agent in
 * `--mode stuck` (alive and silent; stuckAfter 1h, so no nudges); once every session runs and
 * the loop has gone quiet, the `gt run` process is sampled from /proc for 60 s
 * (GT_BENCH_IDLE_SECONDS). The Town keeps the default resync (10 minutes): the loop is woken by
 * what announces a change (the store's and the agents' files, tmux hooks, a plan's
 * requeueAfterMs), and here nothing does, so it should start next to no programs. Prints
 * figures; asserts nothing. Runs alone with `node dist/bench/idle-loop.js`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatDuration, parseDuration } from '../src/util/duration.js';
import { procCpuMs } from './cpu.js';
import { epochMs, note, procMemMb, sleep, until, type Loop } from './loop.js';
import { LoopTown } from './loop-town.js';
import type { SpawnEntry } from './spawn-log.js';
import { nowMs } from './stats.js';

const WINDOW_S = Number(process.env.GT_BENCH_IDLE_SECONDS ?? 60);
const RIGS = [
  { name: 'rig-a', max: 10 },
  { name: 'rig-b', max: 10 },
];
const WORKERS = RIGS.reduce((a, r) => a + r.max, 0);
/** The Town's default resync, from its schema (the source of truth). */
export const DEFAULT_RESYNC_S = defaultResyncS();
const TARGET_CPU_PCT = 1;
const TARGET_RSS_MB = 150;
const QUIET_MS = 3000;

function defaultResyncS(): number {
  const schema = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas/town.schema.json');
  const town = JSON.parse(readFileSync(schema, 'utf8')) as { properties: { spec: { properties: { resync: { default: string } } } } };
  return parseDuration(town.properties.spec.properties.resync.default) / 1000;
}

export async function benchIdle(): Promise<string[]> {
  note(`idle loop: building a town (${RIGS.length} rigs x ${RIGS[0]!.max} workers)`);
  const town = LoopTown.create({ name: 'bench-idle', rigs: RIGS, stuckAfter: '1h' });
  try {
    return await measure(town);
  } finally {
    await town.dispose();
  }
}

function eventLines(town: LoopTown): number {
  try {
    return readFileSync(path.join(town.root, '.gt', 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function measure(town: LoopTown): Promise<string[]> {
  for (const r of RIGS) for (let i = 1; i <= r.max; i++) await town.tracker(r.name).create({ title: `Idle bench ${r.name} task ${i}` });
  const startMs = epochMs();
  const loop = town.startLoop({ spawnLog: true, ...(process.env.GT_BENCH_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.GT_BENCH_PROFILE_DIR}`] } : {}) });
  note(`idle loop: gt run (pid ${loop.pid}) starting ${WORKERS} polecats`);
  await until(
    async () => {
      loop.check();
      const running = (await town.panes()).filter((p) => p.issue && !p.dead).length;
      const records = (await Promise.all(RIGS.map((r) => town.records(r.name)))).flat();
      return running === WORKERS && records.length === WORKERS && records.every((r) => r.state === 'working');
    },
    `${WORKERS} running polecat sessions`,
    180_000,
    250,
  );
  const allRunningS = (epochMs() - startMs) / 1000;
  await settle(
    loop,
    RIGS.map((r) => r.name),
  );
  note(`idle loop: all ${WORKERS} sessions ran after ${allRunningS.toFixed(1)} s; sampling gt run for ${WINDOW_S} s`);
  const w = await sampleIdle(town, loop, { windowS: WINDOW_S, resyncS: DEFAULT_RESYNC_S, cpuPct: TARGET_CPU_PCT, rssMb: TARGET_RSS_MB });
  return [
    `idle gt run: ${WORKERS} polecats working (${RIGS.length} rigs x ${RIGS[0]!.max}, gt demo-agent --mode stuck, stuckAfter 1h), Town resync ${formatDuration(DEFAULT_RESYNC_S * 1000)} (default)`,
    `  ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}; all sessions ran ${allRunningS.toFixed(1)} s after gt run started; then every rig's outcome, ${QUIET_MS / 1000} s without output and 1 s without CPU; window ${(w.windowMs / 1000).toFixed(1)} s; ${w.stillRunning} sessions still running at its end`,
    ...w.lines,
  ];
}

/**
 * Waits until a loop that has just started its polecats is idle: the loop prints a key's outcome
 * only when the key is done (after its last spawn, a new observe and the status), so first each
 * rig's, then quiet output and a quiet CPU. A loop that never goes quiet is noted and sampled anyway.
 */
export async function settle(loop: Loop, rigs: string[]): Promise<void> {
  await until(() => rigs.every((r) => loop.lines.some((l) => l.text.includes(`Rig/${r}`))) || undefined, 'the outcome of every rig', 120_000, 200).catch((err: unknown) =>
    note(`idle loop: ${err instanceof Error ? err.message : String(err)}; going on`),
  );
  await until(() => nowMs() - loop.lastOutputMs >= QUIET_MS || undefined, `gt run to print nothing for ${QUIET_MS} ms`, 120_000, 200);
  await loop.waitQuiet(1000, 60_000).catch((err: unknown) => note(`idle loop: ${err instanceof Error ? err.message : String(err)}; sampling anyway`));
}

export interface IdleWindow {
  windowMs: number;
  stillRunning: number;
  /** The figures (CPU, memory, activity) and the target lines. */
  lines: string[];
}

/**
 * Samples an idle `gt run` for `windowS`: its CPU (its own and the programs it waited for; the
 * tmux server apart), its RSS every second, and what it did (output lines, events, programs
 * started), judged against the targets.
 */
export async function sampleIdle(town: LoopTown, loop: Loop, o: { windowS: number; resyncS: number; cpuPct: number; rssMb: number }): Promise<IdleWindow> {
  const tmuxPid = town.tmuxServerPid();
  const lines0 = loop.lines.length;
  const events0 = eventLines(town);
  const t0 = epochMs();
  const cpu0 = loop.cpu()!;
  const tmux0 = tmuxPid ? procCpuMs(tmuxPid) : undefined;
  const rss: number[] = [];
  while (epochMs() - t0 < o.windowS * 1000) {
    loop.check();
    const m = procMemMb(loop.pid);
    if (m) rss.push(m.rss);
    await sleep(Math.min(1000, o.windowS * 1000 - (epochMs() - t0)));
  }
  const cpu1 = loop.cpu()!;
  const tmux1 = tmuxPid ? procCpuMs(tmuxPid) : undefined;
  const t1 = epochMs();
  const mem = procMemMb(loop.pid)!;
  rss.push(mem.rss);
  const windowLines = loop.lines.slice(lines0).map((l) => l.text);
  const lines = windowLines.length;
  const events = eventLines(town) - events0;
  const stillRunning = (await town.panes()).filter((p) => p.issue && !p.dead).length;
  const spawns = (await loop.spawnLog()).filter((e) => e.t0 >= t0 && e.t0 < t1);

  const windowMs = t1 - t0;
  const pctOf = (ms: number) => (100 * ms) / windowMs;
  const ownMs = cpu1.gtMs - cpu0.gtMs;
  const programsMs = cpu1.childrenMs - cpu0.childrenMs;
  const own = pctOf(ownMs);
  const children = pctOf(programsMs);
  const tmuxServer = tmux0 && tmux1 ? pctOf(tmux1.selfMs - tmux0.selfMs) : undefined;
  const maxRss = Math.max(...rss);
  const byCmd = countBy(spawns);
  const listings = spawns.filter((e) => e.cmd === 'tmux list-panes').length;
  const resyncs = windowMs / 1000 / o.resyncS;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT MET');

  return {
    windowMs,
    stillRunning,
    lines: [
      `  CPU, % of one core (from /proc/PID/stat, 10 ms ticks):`,
      `    gt run's own process (gt's own work)    ${own.toFixed(2).padStart(6)} %`,
      `    the programs (git, tmux clients)        ${children.toFixed(2).padStart(6)} %`,
      `    gt run with its programs                ${(own + children).toFixed(2).padStart(6)} %`,
      ...(tmuxServer !== undefined
        ? [`    (the town's tmux server, not counted)   ${tmuxServer.toFixed(2).padStart(6)} %   not gt's child: it runs the sessions and answers gt's tmux clients; the agents are silent`]
        : []),
      `  memory of gt run (VmRSS from /proc/PID/status, MB): max ${maxRss.toFixed(1)}, at end ${mem.rss.toFixed(1)} over the window; peak since start (VmHWM) ${mem.hwm.toFixed(1)}`,
      `  activity in the window: ${lines} output lines, ${events} events in .gt/events.jsonl; ${spawns.length} processes started (${byCmd || 'none'})`,
      ...windowLines.slice(0, 6).map((l) => `    | ${l.slice(0, 160)}`),
      ...(lines > 6 ? [`    | ... ${lines - 6} more`] : []),
      `    expected: next to no processes, since nothing here announces a change (watched files, tmux hooks, the plans' requeueAfterMs); resyncs in the window ~${resyncs < 1 ? resyncs.toFixed(1) : resyncs.toFixed(0)} (every ${formatDuration(o.resyncS * 1000)} +-10%); ${listings} tmux listings (one per workers observe; rigs within 200 ms share one)`,
      ...(spawns.length ? [`    per process started: ${(ownMs / spawns.length).toFixed(1)} ms of gt's own CPU, ${(programsMs / spawns.length).toFixed(1)} ms of the programs'`] : []),
      `  target: under ${o.cpuPct}% of a core and under ${o.rssMb} MB`,
      `    idle CPU < ${o.cpuPct}% of a core, gt's own work (gt run's process): ${met(own < o.cpuPct)} (${own.toFixed(2)}%)`,
      `    idle CPU < ${o.cpuPct}% of a core, gt run with its programs: ${met(own + children < o.cpuPct)} (${(own + children).toFixed(2)}%)`,
      `    idle memory < ${o.rssMb} MB (max VmRSS in the window): ${met(maxRss < o.rssMb)} (${maxRss.toFixed(1)} MB)`,
    ],
  };
}

function countBy(entries: SpawnEntry[]): string {
  const n = new Map<string, number>();
  for (const e of entries) n.set(e.cmd, (n.get(e.cmd) ?? 0) + 1);
  return [...n.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([cmd, k]) => `${k} ${cmd}`)
    .join(', ');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of await benchIdle()) process.stdout.write(l + '\n');
}
