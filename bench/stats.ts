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
 * Wall time of whole processes, spawn to exit. The commands are run round-robin (one run of
 * each per round), so a change in machine load during the benchmark hits them all alike. Fails
 * loudly when an exit code is not the expected one: a figure for a run that did something else
 * would be meaningless.
 */
export function timeProcesses<K extends string>(cmds: Record<K, { cmd: string; args: string[]; expectExit?: number }>, opts: { runs: number; warmups: number }): Record<K, Sample> {
  const keys = Object.keys(cmds) as K[];
  const once = (k: K): number => {
    const { cmd, args, expectExit = 0 } = cmds[k];
    const t0 = nowMs();
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const ms = nowMs() - t0;
    if (r.error) throw r.error;
    if (r.status !== expectExit) throw new Error(`${[cmd, ...args].join(' ')} exited ${r.status ?? r.signal}, expected ${expectExit}\n${r.stdout}${r.stderr}`);
    return ms;
  };
  const times = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < opts.warmups + opts.runs; i++) {
    for (const k of keys) {
      const ms = once(k);
      if (i >= opts.warmups) times[k].push(ms);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, summarize(times[k])])) as Record<K, Sample>;
}

/** Right-aligned milliseconds. */
export function ms(v: number, width = 7): string {
  return v.toFixed(1).padStart(width);
}

/** "median / p90" columns for a report line. */
const LABEL = 48;

/** A section title with the "median p90" column heads. */
export function heading(title: string): string {
  return `${title.padEnd(2 + LABEL)}${'median'.padStart(7)} ${'p90'.padStart(7)}`;
}

export function row(label: string, s: Sample, note = ''): string {
  return `  ${label.padEnd(LABEL)}${ms(s.median)} ${ms(s.p90)}${note ? `   ${note}` : ''}`;
}

export function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((100 * part) / whole)}%` : '-';
}
