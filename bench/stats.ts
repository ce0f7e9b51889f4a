import { spawnSync } from 'node:child_process';

/** Timing helpers: every figure is a list of wall times in milliseconds, summarized by median and p90. */

export interface Sample {
  median: number;
  p90: number;
  min: number;
  runs: number;
}

export function summarize(ms: number[]): Sample {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const mid = s.length / 2;
  const median = s.length % 2 ? s[Math.floor(mid)]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, p90: at(0.9), min: s[0]!, runs: s.length };
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `fn` `warmups` times untimed, then `runs` times timed. */
export async function timeAsync(fn: () => Promise<void>, runs: number, warmups: number): Promise<Sample> {
  for (let i = 0; i < warmups; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    await fn();
    ms.push(nowMs() - t0);
  }
  return summarize(ms);
}

/**
 * Wall time of a whole process, spawn to exit. Fails loudly when the exit code is not the
 * expected one: a figure for a run that did something else would be meaningless.
 */
export function timeProcess(cmd: string, args: string[], opts: { runs: number; warmups: number; expectExit?: number; cwd?: string }): Sample {
  const once = (): number => {
    const t0 = nowMs();
    const r = spawnSync(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = nowMs() - t0;
    if (r.error) throw r.error;
    if (r.status !== (opts.expectExit ?? 0)) {
      throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status ?? r.signal}, expected ${opts.expectExit ?? 0}\n${r.stdout}${r.stderr}`);
    }
    return ms;
  };
  for (let i = 0; i < opts.warmups; i++) once();
  return summarize(Array.from({ length: opts.runs }, once));
}

/** Right-aligned milliseconds. */
export function ms(v: number, width = 7): string {
  return v.toFixed(1).padStart(width);
}

/** "median / p90" columns for a report line. */
export function row(label: string, s: Sample, note = ''): string {
  return `  ${label.padEnd(38)}${ms(s.median)} ${ms(s.p90)}${note ? `   ${note}` : ''}`;
}

export function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '-';
}
