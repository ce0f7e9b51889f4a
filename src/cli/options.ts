import { fail } from '../errors.js';
import { parseDuration } from '../util/duration.js';

/** Options every command shares (set on the root program). */
export interface GlobalOptions {
  town?: string;
  lockTimeout: string;
}

export type OutputFormat = 'text' | 'json' | 'yaml';
export type DataFormat = Exclude<OutputFormat, 'text'>;
/** Every command with `-o` takes all three: text for people, json and yaml (the same value) for programs. */
export const OUTPUT_FORMATS: OutputFormat[] = ['text', 'json', 'yaml'];

export function outputFormat(value: string | undefined): OutputFormat {
  const v = (value ?? 'text') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(v)) fail({ kind: 'usage', message: `-o ${value}: expected one of ${OUTPUT_FORMATS.join(', ')}` });
  return v;
}

export function lockTimeoutMs(g: GlobalOptions): number {
  try {
    return parseDuration(g.lockTimeout);
  } catch (err) {
    fail({ kind: 'usage', message: `--lock-timeout: ${(err as Error).message}` });
  }
}

let readerGone = false;

/**
 * `gt status | head -2`: the reader went away. Nothing more is printed, and the command finishes
 * its work (releasing its locks) instead of dying on an unhandled EPIPE.
 */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    readerGone = true;
  });
}

export function print(lines: string | string[]): void {
  const text = Array.isArray(lines) ? lines.join('\n') : lines;
  if (text && !readerGone) process.stdout.write(text + '\n');
}

/** One document for programs: the value as JSON, or the same value as YAML (its printer is loaded only then). */
export async function printData(format: DataFormat, value: unknown): Promise<void> {
  print(format === 'json' ? JSON.stringify(value, null, 2) : (await import('./yaml.js')).toYaml(value).trimEnd());
}

/** A command's result: `text` as lines for people, or `data` as one json/yaml document. */
export async function printResult(format: OutputFormat, data: unknown, text: () => string | string[]): Promise<void> {
  if (format === 'text') print(text());
  else await printData(format, data);
}
