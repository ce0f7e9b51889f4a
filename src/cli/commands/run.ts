import { fail } from '../../errors.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { runLoop } from '../../engine/loop.js';
import { lockTimeoutMs, outputFormat, print, printResult, type GlobalOptions } from '../options.js';
import { failOnErrors, outcomeLines, passLines } from '../render.js';

export interface RunOptions {
  once?: boolean;
  resetBreaker?: string;
  output?: string;
}

export async function runCommand(g: GlobalOptions, o: RunOptions): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  if (o.resetBreaker) await resetBreaker(session, o.resetBreaker, lockTimeoutMs(g));
  if (!o.once) {
    const log = (line: string) => print(`${new Date().toISOString()} ${line}`);
    return runLoop(session, { lockTimeoutMs: lockTimeoutMs(g), log, onOutcome: (x) => outcomeLines([x]).forEach(log) });
  }
  const lock = await session.lock('gt run --once', lockTimeoutMs(g));
  try {
    const outcomes = await session.reconciler.reconcileAll();
    await printResult(format, { town: session.root, outcomes }, () => passLines(outcomes));
    failOnErrors(outcomes);
    return 0;
  } finally {
    await lock.release();
  }
}

async function resetBreaker(session: TownSession, rig: string, timeoutMs: number): Promise<void> {
  if (!(await session.store.get('Rig', rig))) fail({ kind: 'notFound', message: `no Rig "${rig}" in ${session.root}` });
  const lock = await session.lock('gt run --reset-breaker', timeoutMs);
  try {
    const pool = await session.services.workers.pool(rig);
    await session.services.workers.putPool(rig, { spawnFailures: 0, ...(pool.lastSpawnAt ? { lastSpawnAt: pool.lastSpawnAt } : {}) });
    print(pool.breaker ? `Rig ${rig}: circuit breaker closed (was open since ${pool.breaker.openedAt}: ${pool.breaker.reason}).` : `Rig ${rig}: the circuit breaker was not open.`);
  } finally {
    await lock.release();
  }
}
