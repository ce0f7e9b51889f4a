import type { TownSession } from '../town/session.js';
import type { OutputFormat } from './options.js';

/** How often one subject's progress line may be printed again within the same phase. */
const EVERY_MS = 1000;

/**
 * Shows long steps (git's own clone progress) to a person at a terminal, one line per subject
 * per second at most, prefixed with what it is about: several clones run at once, so git's
 * in-place redraws would garble each other. Nothing is shown on a pipe or with `-o json`.
 */
export function showProgress(session: TownSession, format: OutputFormat, stream: NodeJS.WriteStream = process.stderr): void {
  if (format !== 'text' || !stream.isTTY) return;
  const last = new Map<string, { phase: string; at: number }>();
  session.reconciler.ctx.progress = (subject, line) => {
    const phase = line.split(':')[0] ?? '';
    const now = Date.now();
    const prev = last.get(subject);
    const finished = /done\.?$/.test(line);
    if (prev && prev.phase === phase && now - prev.at < EVERY_MS && !finished) return;
    last.set(subject, { phase, at: now });
    stream.write(`  ${subject}: ${line}\n`);
  };
}
