import childProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/**
 * CPU time split while something runs in this process: our own (JavaScript, libuv, forking
 * children) from process.cpuUsage(), and that of the children we waited for (the git
 * processes) from the cutime/cstime fields of /proc/self/stat. The children figure is
 * Linux-only (undefined elsewhere) and has the clock-tick resolution (usually 10 ms), so
 * callers should measure many runs at once.
 */
export interface CpuSplit {
  selfMs: number;
  childrenMs: number | undefined;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports.

function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[16 - 3]);
    const cstime = Number(fields[17 - 3]);
    return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) * TICK_MS : undefined;
  } catch {
    return undefined;
  }
}

export async function measureCpu(fn: () => Promise<void>): Promise<CpuSplit> {
  const c0 = childrenCpuMs();
  const s0 = process.cpuUsage();
  await fn();
  const s = process.cpuUsage(s0);
  const c1 = childrenCpuMs();
  return { selfMs: (s.user + s.system) / 1000, childrenMs: c0 !== undefined && c1 !== undefined ? c1 - c0 : undefined };
}

/**
 * How many processes `fn` spawns through node:child_process.spawn (what src/adapters/process.ts
 * uses). Wraps the builtin and re-syncs its ESM named exports, so modules that imported
 * `spawn` by name see the wrapper; restores it afterwards.
 */
export async function countSpawns(fn: () => Promise<void>): Promise<number> {
  const original = childProcess.spawn;
  let n = 0;
  childProcess.spawn = ((...args: Parameters<typeof original>) => {
    n++;
    return original(...args);
  }) as typeof original;
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
  return n;
}
