/**
 * Preloaded into the measured `gt run` (`node --import <this file> gt run ...`) by the loop
 * benchmarks: logs every program the loop runs through src/adapters/process.ts (its
 * diagnostics channels gt:run:start and gt:run:end) with its start time (epoch ms, sub-ms) and
 * wall duration, and writes the log as JSON to $GT_BENCH_SPAWN_LOG on SIGUSR2. It costs one
 * array push per spawn; nothing runs between spawns, so it does not change an idle loop's CPU.
 */
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunTrace } from '../src/adapters/process.js';

export interface SpawnEntry {
  /** Program and its subcommand, e.g. "git clone", "tmux list-panes". */
  cmd: string;
  /** Start, epoch ms (performance.timeOrigin + now()). */
  t0: number;
  /** Wall time until the process exited (undefined while running). */
  ms?: number;
}

/** Options of git and tmux that take a value: the subcommand is the first argument that is neither an option nor such a value. */
const VALUE_OPTIONS: Record<string, ReadonlySet<string>> = {
  git: new Set(['-c', '-C', '--git-dir', '--work-tree', '--namespace']),
  tmux: new Set(['-f', '-L', '-S', '-T', '-c']),
};

export function describeSpawn(command: string, args: readonly string[]): string {
  const program = path.basename(command);
  const takesValue = VALUE_OPTIONS[program];
  if (!takesValue) return program;
  // gt starts a session with one tmux call of several commands (set-option ; new-session ; ...).
  if (program === 'tmux' && args.includes('new-session')) return 'tmux new-session';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (takesValue.has(a)) i++;
    else if (!a.startsWith('-')) return `${program} ${a}`;
  }
  return program;
}

const out = process.env.GT_BENCH_SPAWN_LOG;
if (out) {
  const log: SpawnEntry[] = [];
  const entries = new WeakMap<RunTrace, SpawnEntry>();
  // The channel names of src/adapters/process.ts, not imported: this file is loaded into the
  // bundled CLI, whose own copy of that module publishes them.
  diagnostics.subscribe('gt:run:start', (message) => {
    const run = message as RunTrace;
    const entry: SpawnEntry = { cmd: describeSpawn(run.command, run.args), t0: performance.timeOrigin + performance.now() };
    if (log.length < 200_000) log.push(entry);
    entries.set(run, entry);
  });
  diagnostics.subscribe('gt:run:end', (message) => {
    const entry = entries.get(message as RunTrace);
    if (entry) entry.ms = performance.timeOrigin + performance.now() - entry.t0;
  });
  process.on('SIGUSR2', () => writeFileSync(out, JSON.stringify(log)));
}
