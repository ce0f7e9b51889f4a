import path from 'node:path';
import { fail } from '../../errors.js';
import { mergeQueueStore } from '../../refinery/requests.js';
import { sessionName } from '../../workers/polecat.js';
import { verificationProblems } from '../../workers/verification.js';
import { workKeyOf, type KeyOutcome } from '../../engine/reconciler.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { verifyFacts } from '../../workers/clone.js';
import { lockTimeoutMs, outputFormat, printResult, type GlobalOptions } from '../options.js';
import { outcomeLines } from '../render.js';
import { describeHolder } from '../../store/key-lock.js';

/**
 * `gt land RIG/POLECAT`: merge a polecat's work now, ahead of the queue, through the same merge
 * path and safety checks: its session has ended, its tree is clean and pushed, no conflict, and
 * the tests pass unless --skip-tests is given.
 */
export async function landCommand(g: GlobalOptions, who: string, o: { skipTests?: boolean; output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const m = /^([a-z0-9-]+)\/(?:polecats\/)?([a-z0-9-]+)$/.exec(who);
  if (!m) fail({ kind: 'usage', message: `gt land RIG/POLECAT: got ${JSON.stringify(who)}` });
  const [rigName, polecat] = [m[1]!, m[2]!];
  const session = new TownSession(requireTown(g));
  const rigObj = await session.store.get('Rig', rigName);
  if (!rigObj) fail({ kind: 'notFound', message: `no Rig "${rigName}" in ${session.root}` });
  const town = (await session.store.list('Town'))[0]?.manifest as Parameters<TownSession['services']['tmux']>[0];
  const queue = mergeQueueStore(session.root);
  // The town lock guards the queue's records only; the merge itself runs under the queue's key lock.
  const lock = await session.lock('gt land', lockTimeoutMs(g));
  let queued: Awaited<ReturnType<typeof queue.list>>[number] | undefined;
  try {
    queued = (await queue.list(rigName)).find((r) => r.polecat === polecat);
    const record = (await session.services.workers.list(rigName)).find((r) => r.name === polecat);
    if (queued) {
      // Landing by hand is a new decision: a previous failure does not hold it back.
      const { failedHead: _failedHead, failure: _failure, ...request } = queued;
      await queue.put(rigName, { ...request, direct: true, ...(o.skipTests ? { skipTests: true } : {}) });
    } else if (record) {
      const live = (await session.services.sessions(town, true)).find((s) => s.name === sessionName(rigName, polecat) && !s.dead);
      if (live) fail({ kind: 'conflict', message: `polecat ${polecat}'s session is still running; land its work after it ends (gt done, or stop it)` });
      const v = await verifyFacts(path.join(session.root, rigName, 'polecats', polecat), record.branch, record.baseSha);
      const problems = verificationProblems(v, record.branch);
      if (problems.length) fail({ kind: 'conflict', message: `cannot land ${who}: ${problems.join('; ')}` });
      await queue.put(rigName, {
        issueId: record.issueId,
        branch: record.branch,
        head: v!.head!,
        polecat,
        readyAt: new Date().toISOString(),
        direct: true,
        ...(o.skipTests ? { skipTests: true } : {}),
        ...(record.baseSha ? { baseSha: record.baseSha } : {}),
      });
    } else {
      fail({ kind: 'notFound', message: `polecat ${who} has no work to land (no worker and no merge request)` });
    }
  } finally {
    await lock.release();
  }
  const result = { town: session.root, polecat: `${rigName}/${polecat}` };
  const loop = await session.runningLoop();
  if (loop) {
    await printResult(format, { ...result, state: 'queued', reconciledBy: { pid: loop.pid } }, () => `Queued ${who} for direct landing; the running loop (pid ${loop.pid}) merges it next.`);
    return 0;
  }
  // The queue may first have bookkeeping to do (a closed issue's request or budget to forget):
  // a few passes, until this request is merged, refused, or nothing moves.
  const outcomes: KeyOutcome[] = [];
  let left = queued;
  for (let pass = 0; pass < 5; pass++) {
    const o = await session.reconciler.reconcileKey(workKeyOf('refinery', `Rig/${rigObj.manifest.metadata.name}`), { command: 'gt land', waitMs: lockTimeoutMs(g) });
    if (o?.busy) {
      await printResult(
        format,
        { ...result, state: 'queued', reconciledBy: { pid: o.busy.pid } },
        () => `Queued ${who} for direct landing; the process working the queue now merges it next: ${describeHolder(o.busy!)}.`,
      );
      return 0;
    }
    if (o) outcomes.push(o);
    left = (await queue.list(rigName)).find((r) => r.polecat === polecat);
    if (!o || o.failed || !o.done.length || !left || left.failedHead === left.head) break;
  }
  const outcome = outcomes[outcomes.length - 1];
  const state = outcome?.failed ? 'failed' : left ? 'refused' : 'landed';
  await printResult(format, { ...result, state, ...(left?.failure ? { failure: left.failure } : {}), reconciledBy: 'land', outcome: outcome ?? null }, () =>
    outcomes.length ? outcomeLines(outcomes) : 'Nothing to do.',
  );
  if (outcome?.failed) fail({ kind: 'reconcileFailed', failures: [{ key: outcome.key, message: outcome.failed.error }] });
  if (left) fail({ kind: 'conflict', message: `${who} was not landed: ${left.failure ?? 'see gt status'}` });
  return 0;
}
