/**
 * `gt diff` on a big town: 100 rigs (200 rig clones) with 2 polecats each (200 polecat clones,
 * worker records and tmux sessions whose agent is `sleep 100000`), all made by gt itself: `gt
 * apply`, then `gt run` until every polecat works, then the loop is stopped (its sessions stay)
 * and `gt diff` is timed alone, as a person runs it (the bundled CLI, spawn to exit). The issue's
 * target: median under 500 ms. Prints figures; asserts nothing. Runs alone with
 * `node dist/bench/diff-scale.js`.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { epochMs, note, until } from './loop.js';
import { CLI, LoopTown, type RigOptions } from './loop-town.js';
import { nowMs, timeProcesses } from './stats.js';

const RIGS = Number(process.env.GT_BENCH_DIFF_SCALE_RIGS ?? 100);
const PER_RIG = 2;
const RUNS = Number(process.env.GT_BENCH_DIFF_SCALE_RUNS ?? 15);
const WARMUPS = 1;
const TARGET_MS = 500;
const POLECATS = RIGS * PER_RIG;
const AGENT = ['sleep', '100000'];
const QUIET_MS = 2000;

const rigName = (i: number) => `rig-${String(i).padStart(3, '0')}`;

export async function benchDiffScale(): Promise<string[]> {
  const rigs: RigOptions[] = Array.from({ length: RIGS }, (_, i) => ({ name: rigName(i + 1), max: PER_RIG, agent: AGENT }));
  note(`diff at scale: gt apply of ${RIGS} rigs (${RIGS * 2} clones)`);
  const t0 = epochMs();
  const town = LoopTown.create({ name: 'bench-diff-scale', rigs, stuckAfter: '1h' });
  const applyS = (epochMs() - t0) / 1000;
  try {
    return await measure(town, rigs, applyS);
  } finally {
    const t = epochMs();
    // GT_BENCH_DIFF_SCALE_KEEP=1: the town (and its sessions) stay, for tracing gt diff on it by hand.
    if (process.env.GT_BENCH_DIFF_SCALE_KEEP === '1') {
      town.keep();
      note(`diff at scale: town kept at ${town.root} (its sessions keep running; gt stop --now ends them)`);
    } else {
      await town.dispose();
      note(`diff at scale: town removed in ${((epochMs() - t) / 1000).toFixed(1)} s`);
    }
  }
}

async function measure(town: LoopTown, rigs: RigOptions[], applyS: number): Promise<string[]> {
  for (const r of rigs) for (let i = 1; i <= PER_RIG; i++) await town.tracker(r.name).create({ title: `Diff bench ${r.name} task ${i}` });
  const t0 = epochMs();
  const loop = town.startLoop();
  note(`diff at scale: gt run (pid ${loop.pid}) starting ${POLECATS} polecats`);
  await until(
    async () => {
      loop.check();
      const running = (await town.panes()).filter((p) => p.issue && !p.dead).length;
      if (running < POLECATS) return false;
      const records = (await Promise.all(rigs.map((r) => town.records(r.name)))).flat();
      return records.length === POLECATS && records.every((r) => r.state === 'working');
    },
    `${POLECATS} working polecats`,
    240_000,
    500,
  );
  const spawnS = (epochMs() - t0) / 1000;
  // The loop is stopped (its sessions stay) once it has printed nothing for a while: gt diff is timed alone.
  await until(() => nowMs() - loop.lastOutputMs >= QUIET_MS || undefined, `gt run to print nothing for ${QUIET_MS} ms`, 60_000, 200).catch((err: unknown) =>
    note(`diff at scale: ${err instanceof Error ? err.message : String(err)}; stopping it anyway`),
  );
  await loop.stop();
  note(`diff at scale: gt run stopped ${((epochMs() - t0) / 1000).toFixed(1)} s after it started`);

  const diffArgs = [CLI, 'diff', '--town', town.root];
  const first = spawnSync(process.execPath, diffArgs, { encoding: 'utf8', env: { ...process.env, GT_TOWN: '', GT_RIG: '' } });
  const inSync = first.status === 0;
  if (!inSync) note(`diff at scale: gt diff exited ${first.status ?? first.signal}, not 0 (in sync):\n${(first.stdout + first.stderr).split('\n').slice(0, 20).join('\n')}`);
  note(`diff at scale: timing gt diff (${RUNS} runs after ${WARMUPS} warm-up, round-robin with gt --help)`);
  const p = timeProcesses(
    {
      diff: { cmd: process.execPath, args: diffArgs, expectExit: first.status ?? 0 },
      help: { cmd: process.execPath, args: [CLI, '--help'] },
    },
    { runs: RUNS, warmups: WARMUPS },
  );
  // GT_BENCH_PROFILE_DIR: one more gt diff with node's CPU profiler, for finding where its time goes.
  const profileDir = process.env.GT_BENCH_PROFILE_DIR;
  if (profileDir) spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...diffArgs], { env: { ...process.env, GT_TOWN: '', GT_RIG: '' } });
  const panes = (await town.panes()).filter((x) => x.issue && !x.dead).length;
  const perRig = (p.diff.median - p.help.median) / RIGS;
  const verdict = !inSync
    ? `NOT MET (gt diff exited ${first.status ?? first.signal}: the town was not in sync, so the run timed something else; ${p.diff.median.toFixed(0)} ms median)`
    : `${p.diff.median < TARGET_MS ? 'met' : 'NOT MET'} (${p.diff.median.toFixed(0)} ms median, ${p.diff.p90.toFixed(0)} ms p90)`;
  return [
    `gt diff on ${RIGS} rigs (${RIGS * 2} rig clones) with ${POLECATS} polecats (${POLECATS} polecat clones, worker records, sessions of "${AGENT.join(' ')}"), gt run stopped`,
    `  ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}; gt apply took ${applyS.toFixed(1)} s, gt run started the ${POLECATS} polecats in ${spawnS.toFixed(1)} s; ${panes} sessions running while timed`,
    `  ${RUNS} timed runs after ${WARMUPS} warm-up, interleaved with gt --help; in sync (exit 0): ${inSync ? 'yes' : `NO (exit ${first.status ?? first.signal})`}`,
    `  ${'wall ms'.padEnd(44)}${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)}`,
    `  ${`gt diff, ${RIGS} rigs, ${POLECATS} polecats`.padEnd(44)}${p.diff.median.toFixed(0).padStart(7)} ${p.diff.p90.toFixed(0).padStart(7)} ${p.diff.min.toFixed(0).padStart(7)}`,
    `  ${'gt --help (start-up)'.padEnd(44)}${p.help.median.toFixed(0).padStart(7)} ${p.help.p90.toFixed(0).padStart(7)} ${p.help.min.toFixed(0).padStart(7)}`,
    `  -> ${perRig.toFixed(1)} ms per rig with its 2 polecats ((diff - start-up) / ${RIGS})`,
    `  target: gt diff on ${RIGS} rigs with ${POLECATS} polecat clones under ${TARGET_MS} ms (median): ${verdict}`,
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const l of await benchDiffScale()) process.stdout.write(l + '\n');
}
