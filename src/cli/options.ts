import { fail } from '../errors.js';
import { parseDuration } from '../util/duration.js';

/** Options every command shares (set on the root program). */
export interface GlobalOptions {
  town?: string;
  lockTimeout: string;
}

export type OutputFormat = 'text' | 'json' | 'yaml';

export function outputFormat(value: string | undefined, allowed: OutputFormat[]): OutputFormat {
  const v = (value ?? 'text') as OutputFormat;
  if (!allowed.includes(v)) fail({ kind: 'usage', message: `-o ${value}: expected one of ${allowed.join(', ')}` });
  return v;
}

export function lockTimeoutMs(g: GlobalOptions): number {
  try {
    return parseDuration(g.lockTimeout);
  } catch (err) {
    fail({ kind: 'usage', message: `--lock-timeout: ${(err as Error).message}` });
  }
}

export function print(lines: string | string[]): void {
  const text = Array.isArray(lines) ? lines.join('\n') : lines;
  if (text) process.stdout.write(text + '\n');
}
