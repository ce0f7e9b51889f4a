import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { procCpuMs } from './cpu.js';
import type { SpawnEntry } from './spawn-log.js';
import { nowMs } from './stats.js';

/**
 * The `gt run` child process of a loop benchmark (its output lines, its CPU and its spawn log),
 * and the small waiting and /proc helpers the loop sections share.
 */

const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports.

/** Wall clock in epoch ms with sub-ms resolution, on the same scale as bench/spawn-log.ts in the loop's process. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A note on stderr, so stdout holds only the report. */
export function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `everyMs` until it returns a value; throws after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** VmRSS and VmHWM (peak RSS) of a process from /proc/PID/status, in MB (10^6 bytes). */
export function procMemMb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: (kb('VmRSS') * 1024) / 1e6, hwm: (kb('VmHWM') * 1024) / 1e6 };
  } catch {
    return undefined;
  }
}

export interface LoopCpu {
  /** gt run's own process (utime+stime). */
  gtMs: number;
  /** The programs it started and waited for: git, tmux clients (cutime+cstime). */
  childrenMs: number;
}

/** The `gt run` child process with its output lines, timestamped on arrival. */
export class Loop {
  readonly lines: { atMs: number; text: string }[] = [];
  lastOutputMs = nowMs();
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private partial = '';

  constructor(
    readonly child: ChildProcess,
    private readonly spawnLogFile: string | undefined,
  ) {
    const take = (d: Buffer) => {
      const at = nowMs();
      this.lastOutputMs = at;
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop()!;
      for (const text of parts) this.lines.push({ atMs: at, text });
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Throws when the loop has exited (a benchmark of a dead loop would measure nothing). */
  check(): void {
    if (this.exit) throw new Error(`gt run exited (${this.exit.code ?? this.exit.signal}):\n${this.lines.map((l) => l.text).join('\n')}`);
  }

  /** Every process the loop has spawned so far (needs startLoop({ spawnLog: true })). */
  async spawnLog(): Promise<SpawnEntry[]> {
    const file = this.spawnLogFile;
    if (!file) throw new Error('the loop was started without the spawn log');
    this.check();
    rmSync(file, { force: true });
    this.child.kill('SIGUSR2');
    return until(
      () => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as SpawnEntry[];
        } catch {
          return undefined; // not written yet, or half written
        }
      },
      'the spawn log of gt run',
      10_000,
      5,
    );
  }

  /** SIGTERM (the loop stops its watcher and drains its queue), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** The loop's CPU so far, in ms: gt run's own process and the programs it waited for (git, tmux clients). */
  cpu(): LoopCpu | undefined {
    const gt = procCpuMs(this.pid);
    return gt && { gtMs: gt.selfMs, childrenMs: gt.childrenMs };
  }

  /**
   * Resolves once the loop has been quiet for `quietMs`: no output line and at most one clock
   * tick of CPU (its own and the programs') in that time.
   */
  async waitQuiet(quietMs: number, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const total = (c: LoopCpu | undefined) => (c ? c.gtMs + c.childrenMs : NaN);
    for (;;) {
      this.check();
      const c0 = this.cpu();
      const out0 = this.lastOutputMs;
      await sleep(quietMs);
      const c1 = this.cpu();
      const cpu = total(c1) - total(c0);
      // NaN (no figures) is not quiet.
      if (this.lastOutputMs === out0 && nowMs() - this.lastOutputMs >= quietMs && cpu <= TICK_MS) return;
      if (Date.now() > end) throw new Error(`gt run was not quiet for ${quietMs} ms within ${timeoutMs} ms (last ${cpu} ms CPU per ${quietMs} ms)`);
    }
  }
}
