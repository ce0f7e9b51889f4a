import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { RUN_START } from '../src/adapters/process.js';

/**
 * CPU time split while something runs in this process: our own (JavaScript, libuv, starting
 * children) from process.cpuUsage(), our spawner's (src/adapters/spawner.ts: it is part of gt,
 * so its own CPU is gt's work too), and that of the programs started, which both processes wait
 * for (cutime/cstime of each in /proc). The /proc figures are Linux-only (undefined elsewhere)
 * and have the clock-tick resolution (usually 10 ms), so callers should measure many runs at once.
 */
export interface CpuSplit {
  selfMs: number;
  spawnerMs: number;
  childrenMs: number | undefined;
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports.

/** CPU of a process from /proc/PID/stat: its own (utime+stime) and its waited-for children's (cutime+cstime), in ms. */
export function procCpuMs(pid: number): { selfMs: number; childrenMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const [utime, stime, cutime, cstime] = [f[14 - 3]!, f[15 - 3]!, f[16 - 3]!, f[17 - 3]!];
    return { selfMs: (utime + stime) * TICK_MS, childrenMs: (cutime + cstime) * TICK_MS };
  } catch {
    return undefined;
  }
}

/** pid of the spawner a gt process started (it names itself gt-spawner), if it runs one. */
export function spawnerOf(pid: number): number | undefined {
  let children: number[];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // A kernel without CONFIG_PROC_CHILDREN: look at every process's parent.
    children = readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .filter((n) => {
        try {
          const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      });
  }
  return children.find((c) => {
    try {
      return readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'gt-spawner';
    } catch {
      return false;
    }
  });
}

/** `spawner`: the pid of this process's spawner, if runs go through one (spawnerPid()). */
export async function measureCpu(fn: () => Promise<void>, spawner?: number): Promise<CpuSplit> {
  const c0 = procCpuMs(process.pid);
  const p0 = spawner === undefined ? undefined : procCpuMs(spawner);
  const s0 = process.cpuUsage();
  await fn();
  const s = process.cpuUsage(s0);
  const c1 = procCpuMs(process.pid);
  const p1 = spawner === undefined ? undefined : procCpuMs(spawner);
  if (spawner !== undefined && (!p0 || !p1)) throw new Error(`the spawner (pid ${spawner}) was gone before the measurement ended: its CPU would be lost`);
  const spawnerMs = p0 && p1 ? p1.selfMs - p0.selfMs : 0;
  const viaSpawner = p0 && p1 ? p1.childrenMs - p0.childrenMs : 0;
  return { selfMs: (s.user + s.system) / 1000, spawnerMs, childrenMs: c0 && c1 ? c1.childrenMs - c0.childrenMs + viaSpawner : undefined };
}

/** How many programs `fn` runs through src/adapters/process.ts (either way: directly or by the spawner). */
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
