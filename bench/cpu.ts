import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { RUN_START } from '../src/adapters/process.js';

/**
 * CPU time split while something runs in this process: our own (JavaScript, libuv, starting
 * children) from process.cpuUsage(), and that of the programs it started and waited for
 * (cutime/cstime in /proc/self/stat). The /proc figure is Linux-only (undefined elsewhere) and
 * has the clock-tick resolution (usually 10 ms), so callers should measure many runs at once.
 */
export interface CpuSplit {
  selfMs: number;
  childrenMs: number | undefined;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports.

/** CPU of a process from /proc/PID/stat: its own (utime+stime) and its waited-for children's (cutime+cstime), in ms. */
export function procCpuMs(pid: number): { selfMs: number; childrenMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    const [utime, stime, cutime, cstime] = [f[14 - 3]!, f[15 - 3]!, f[16 - 3]!, f[17 - 3]!];
    return { selfMs: (utime + stime) * TICK_MS, childrenMs: (cutime + cstime) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** The CpuSplit of running `fn` in this process. */
export async function measureCpu(fn: () => Promise<void>): Promise<CpuSplit> {
  const c0 = procCpuMs(process.pid);
  const s0 = process.cpuUsage();
  await fn();
  const s = process.cpuUsage(s0);
  const c1 = procCpuMs(process.pid);
  return { selfMs: (s.user + s.system) / 1000, childrenMs: c0 && c1 ? c1.childrenMs - c0.childrenMs : undefined };
}

/** How many programs `fn` runs through src/adapters/process.ts. */
export async function countSpawns(fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const count = () => n++;
  diagnostics.subscribe(RUN_START, count);
  try {
    await fn();
  } finally {
    diagnostics.unsubscribe(RUN_START, count);
  }
  return n;
}
