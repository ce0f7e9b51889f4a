/**
 * 200 polecats: 10 rigs x 20 polecats whose agent is `sleep 100000` (a process that costs
 * nothing, so the figures are gt's), spawn delay 0, stuckAfter 1h, the Town's default resync.
 * Measured in one town, in this order:
 *  (a) cold start: from the spawn of `gt run` (200 ready issues waiting) to all 200 tmux sessions
 *      running, target under 30 s;
 *  (b) idle with the 200 running: gt's CPU (its own and the programs it starts) under 1% of a core
 *      and its max RSS under 200 MB, over 60 s (GT_BENCH_SCALE_IDLE_SECONDS, at least 60 for the verdict);
 *  (c) a new issue -> its polecat's session, with the 200 running: 20 issues one at a time on
 *      the rig with room (rig-01: workers.max 40), p90 under 500 ms.
 * Prints figures; asserts nothing. Runs alone with `node dist/bench/scale.js`.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { formatDuration } from '../src/util/duration.js';
import { DEFAULT_RESYNC_S, sampleIdle, settle } from './idle-loop.js';
import { epochMs, note, sleep, until, type Loop } from './loop.js';
import { LoopTown, type RigOptions } from './loop-town.js';
import { summarize } from './stats.js';

const RIGS = Number(process.env.GT_BENCH_SCALE_RIGS ?? 10);
const PER_RIG = Number(process.env.GT_BENCH_SCALE_POLECATS ?? 20);
const NEW_ISSUES = Number(process.env.GT_BENCH_SCALE_ISSUES ?? 20);
const WINDOW_S = Number(process.env.GT_BENCH_SCALE_IDLE_SECONDS ?? 60);
const MIN_WINDOW_S = 60;
const AGENT = ['sleep', '100000'];
const POLECATS = RIGS * PER_RIG;
const TARGET_COLD_S = 30;
const TARGET_CPU_PCT = 1;
const TARGET_RSS_MB = 200;
const TARGET_P90_MS = 500;
const COLD_TIMEOUT_S = 180;
const RUN_TIMEOUT_MS = 10_000;
const POLL_MS = 10;

const rigName = (i: number) => `rig-${String(i).padStart(2, '0')}`;
/** The rig the new issues of (c) go to: room for all of them beside its PER_RIG. */
const ROOMY = rigName(1);

export async function benchScale(): Promise<string[]> {
  const rigs: RigOptions[] = Array.from({ length: RIGS }, (_, i) => ({ name: rigName(i + 1), max: i === 0 ? PER_RIG + NEW_ISSUES : PER_RIG, agent: AGENT }));
  note(`scale: building a town (${RIGS} rigs x ${PER_RIG} polecats, agent ${AGENT.join(' ')})`);
  const town = LoopTown.create({ name: 'bench-scale', rigs, stuckAfter: '1h' });
  try {
    return await measure(town, rigs);
  } finally {
    note('scale: stopping gt run, the tmux server and its sessions, removing the town');
    await town.dispose();
  }
}

async function measure(town: LoopTown, rigs: RigOptions[]): Promise<string[]> {
  for (const r of rigs) {
    const t = town.tracker(r.name);
    for (let i = 1; i <= PER_RIG; i++) await t.create({ title: `Scale bench ${r.name} task ${i}` });
  }
  const met = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const out = [
    `${POLECATS} polecats: ${RIGS} rigs x ${PER_RIG} (${POLECATS}), agent "${AGENT.join(' ')}", spawnDelay 0s, stuckAfter 1h, Town resync ${formatDuration(DEFAULT_RESYNC_S * 1000)} (default); ${ROOMY} has workers.max ${PER_RIG + NEW_ISSUES} (room for (c))`,
    `  ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} at the start`,
  ];

  // (a) Cold start.
  const start = epochMs();
  const loop = town.startLoop({ spawnLog: true });
  note(`scale: gt run (pid ${loop.pid}) starting ${POLECATS} polecats`);
  const cold = await coldStart(town, loop, start);
  out.push(
    `  (a) cold start, gt run spawned -> all ${POLECATS} sessions running (tmux polled every 200 ms):`,
    cold.allS === undefined
      ? `    ${cold.running} of ${POLECATS} running after ${COLD_TIMEOUT_S} s; half were running after ${cold.halfS?.toFixed(1) ?? '-'} s`
      : `    first session after ${cold.firstS!.toFixed(1)} s, half after ${cold.halfS!.toFixed(1)} s, all after ${cold.allS.toFixed(1)} s (${(POLECATS / cold.allS).toFixed(1)} spawns/s)`,
    `    cold start of ${POLECATS} sessions < ${TARGET_COLD_S} s: ${cold.allS === undefined ? `NOT MET (${cold.running} of ${POLECATS} after ${COLD_TIMEOUT_S} s)` : `${met(cold.allS < TARGET_COLD_S)} (${cold.allS.toFixed(1)} s)`}`,
  );
  if (cold.allS === undefined) {
    out.push(`  (b) idle and (c) issue -> session: NOT MET (not measured: the ${POLECATS} sessions never all ran)`);
    return out;
  }

  // (b) Idle with the 200 running.
  await until(
    async () => {
      loop.check();
      const records = (await Promise.all(rigs.map((r) => town.records(r.name)))).flat();
      return records.length === POLECATS && records.every((r) => r.state === 'working');
    },
    `${POLECATS} worker records saying working`,
    120_000,
    500,
  );
  await settle(
    loop,
    rigs.map((r) => r.name),
  );
  note(`scale: sampling the idle gt run for ${WINDOW_S} s`);
  const idle = await sampleIdle(town, loop, { windowS: WINDOW_S, resyncS: DEFAULT_RESYNC_S, cpuPct: TARGET_CPU_PCT, rssMb: TARGET_RSS_MB });
  out.push(`  (b) idle gt run with ${idle.stillRunning} sessions running, window ${(idle.windowMs / 1000).toFixed(1)} s (after every rig's outcome and a quiet loop)`);
  if (WINDOW_S < MIN_WINDOW_S) out.push(`    (a window under ${MIN_WINDOW_S} s: the verdicts below are only indicative)`);
  out.push(...idle.lines.map((l) => `  ${l}`));

  // (c) New issue -> session, with the 200 running.
  note(`scale: ${NEW_ISSUES} new issues on ${ROOMY}, one at a time`);
  const runs: Latency[] = [];
  for (let i = 0; i < NEW_ISSUES; i++) {
    runs.push(await newIssue(town, loop, i));
    // Each run starts on an idle loop; one that never quiets down is noted, not waited for.
    await loop.waitQuiet(400, 5_000).catch(() => note('scale: the loop was not quiet for 400 ms within 5 s; next issue anyway'));
  }
  const toSession = runs.map((r) => (r.sessionMs === undefined ? Infinity : r.sessionMs - r.writtenMs));
  const toRecord = runs.filter((r) => r.recordMs !== undefined).map((r) => r.recordMs! - r.writtenMs);
  const s = summarize(toSession);
  const r = toRecord.length ? summarize(toRecord) : undefined;
  const lost = runs.filter((x) => x.sessionMs === undefined).length;
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : 'none');
  out.push(
    `  (c) new issue (JsonlTracker.create in process) -> its polecat's session running, ${NEW_ISSUES} issues one at a time on ${ROOMY}, ${POLECATS}+ sessions running (records polled every ${POLL_MS} ms, then tmux):`,
    `    written -> session running     median ${f(s.median)} ms, p90 ${f(s.p90)} ms, max ${f(Math.max(...toSession))} ms${lost ? `; ${lost} run(s) saw no session within ${RUN_TIMEOUT_MS / 1000} s` : ''}`,
    `    written -> worker record       ${r ? `median ${f(r.median)} ms, p90 ${f(r.p90)} ms` : 'no record seen'}`,
    `    issue -> session p90 < ${TARGET_P90_MS} ms with ${POLECATS} running: ${met(s.p90 < TARGET_P90_MS)} (p90 ${f(s.p90)} ms)`,
  );
  return out;
}

interface Cold {
  firstS?: number;
  halfS?: number;
  allS?: number;
  running: number;
}

async function coldStart(town: LoopTown, loop: Loop, start: number): Promise<Cold> {
  const c: Cold = { running: 0 };
  while (epochMs() - start < COLD_TIMEOUT_S * 1000) {
    loop.check();
    c.running = (await town.panes()).filter((p) => p.issue && !p.dead).length;
    const at = (epochMs() - start) / 1000;
    if (c.running > 0) c.firstS ??= at;
    if (c.running >= POLECATS / 2) c.halfS ??= at;
    if (c.running >= POLECATS) {
      c.allS = at;
      break;
    }
    await sleep(200);
  }
  return c;
}

interface Latency {
  writtenMs: number;
  recordMs?: number;
  sessionMs?: number;
}

/** One new issue on the roomy rig: written in process, then its worker record, then its running session. */
async function newIssue(town: LoopTown, loop: Loop, i: number): Promise<Latency> {
  const id = (await town.tracker(ROOMY).create({ title: `Scale bench new issue ${i}` })).id;
  const run: Latency = { writtenMs: epochMs() };
  const end = run.writtenMs + RUN_TIMEOUT_MS;
  while (run.sessionMs === undefined && epochMs() < end) {
    const t = epochMs();
    // Records first (a file read in process), tmux only from the record on: a tmux listing of
    // 200 panes every 10 ms would take CPU the loop needs on a small machine.
    if (run.recordMs === undefined && (await town.records(ROOMY)).some((r) => r.issueId === id)) run.recordMs = epochMs();
    if (run.recordMs !== undefined && (await town.panes()).some((p) => p.issue === id && !p.dead)) run.sessionMs = epochMs();
    loop.check();
    await sleep(Math.max(0, POLL_MS - (epochMs() - t)));
  }
  if (run.sessionMs === undefined) note(`scale: no running session for ${id} after ${RUN_TIMEOUT_MS} ms`);
  return run;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of await benchScale()) process.stdout.write(l + '\n');
}
