import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { runLoop } from '../../engine/loop.js';
import type { KeyOutcome } from '../../engine/reconciler.js';
import { lockTimeoutMs, outputFormat, print, printResult, type GlobalOptions } from '../options.js';
import { showProgress } from '../progress.js';
import { failOnErrors, outcomeLines, passLines } from '../render.js';

export interface RunOptions {
  once?: boolean;
  resetBreaker?: string;
  output?: string;
  listen?: string;
  tokenFile?: string;
  readOnly?: boolean;
}

export async function runCommand(g: GlobalOptions, o: RunOptions): Promise<number> {
  // Kept for scripts written before gt reset-breaker: the same one-shot reset, then exit.
  if (o.resetBreaker) return (await import('./reset-breaker.js')).resetBreaker(g, o.resetBreaker, o);
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  showProgress(session, format);
  if (!o.once) {
    const log = (line: string) => print(`${new Date().toISOString()} ${line}`);
    // A key that did nothing and still waits on the same thing is said once, not at every pass.
    const lastSaid = new Map<string, string>();
    // The dashboard in this process: its metrics are fed by the loop's hooks.
    const metrics = o.listen ? new (await import('../../metrics/town-metrics.js')).TownMetrics() : undefined;
    const close = o.listen ? await (await import('./dashboard.js')).serveDashboard(session, o, metrics) : undefined;
    const onOutcome = (x: KeyOutcome, durationMs?: number) => {
      metrics?.reconciled(x, durationMs);
      const lines = outcomeLines([x]);
      const said = lines.join('\n');
      if (!x.done.length && !x.failed && lastSaid.get(x.workKey) === said) return;
      lastSaid.set(x.workKey, said);
      lines.forEach(log);
    };
    try {
      return await runLoop(session, { log, onOutcome, ...(metrics ? { onQueue: (q: { depth: number; processing: number }) => metrics.queue(q) } : {}) });
    } finally {
      await close?.();
    }
  }
  const outcomes = await session.reconciler.reconcileAll({ wait: { command: 'gt run --once', waitMs: lockTimeoutMs(g) } });
  await printResult(format, { town: session.root, outcomes }, () => passLines(outcomes));
  failOnErrors(outcomes);
  return 0;
}
