import { fail } from '../../errors.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { lockTimeoutMs, outputFormat, printResult, type GlobalOptions } from '../options.js';

export interface ResetBreakerResult {
  rig: string;
  /** The breaker that was open, or null. */
  breaker: { reason: string; openedAt: string } | null;
  /** Crash-looping workers re-armed: the loop releases their issues back to ready (unclaimed). */
  rearmed: { polecat: string; issue: string }[];
}

/**
 * One shot, then exit: closes the rig's circuit breaker, zeroes its spawn failures and re-arms
 * its crash-looping workers (recorded as `rearmedAt`; the next pass of the loop, or `gt run
 * --once`, releases their issues to ready and ends their sessions, keeping clones with work).
 */
export async function resetBreaker(g: GlobalOptions, rig: string, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  if (!(await session.store.get('Rig', rig))) fail({ kind: 'notFound', message: `no Rig "${rig}" in ${session.root}` });
  const lock = await session.lock('gt reset-breaker', lockTimeoutMs(g));
  let result: ResetBreakerResult;
  try {
    const workers = session.services.workers;
    let pool: Awaited<ReturnType<typeof workers.pool>> = { spawnFailures: 0 };
    const rearmed = (await workers.list(rig)).filter((r) => r.state === 'crashLooping').map((r) => ({ polecat: r.name, issue: r.issueId }));
    await workers.updatePool(rig, (was) => {
      pool = was;
      return { spawnFailures: 0, ...(was.lastSpawnAt ? { lastSpawnAt: was.lastSpawnAt } : {}), rearmedAt: new Date().toISOString() };
    });
    result = { rig, breaker: pool.breaker ? { reason: pool.breaker.reason, openedAt: pool.breaker.openedAt } : null, rearmed };
  } finally {
    await lock.release();
  }
  const reset: ResetBreakerResult = result;
  await printResult(format, reset, () => [
    reset.breaker ? `Rig ${rig}: circuit breaker closed (was open since ${reset.breaker.openedAt}: ${reset.breaker.reason}).` : `Rig ${rig}: the circuit breaker was not open.`,
    ...reset.rearmed.map((w) => `Re-armed crash-looping polecat ${w.polecat}: ${w.issue} goes back to ready on the next pass (gt run, or gt run --once).`),
  ]);
  return 0;
}
