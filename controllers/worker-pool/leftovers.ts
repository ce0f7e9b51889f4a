import type { WorkerAction } from './actions.js';
import type { PoolObserved } from './observed.js';

/**
 * Leftovers of interrupted work that no record explains.
 *
 * Issues in progress under a polecat of `rig` that has no worker record and no merge request.
 * The record is written before the claim, so such a claim comes from a record lost to a crash or
 * a torn file: it would hold its issue forever, since nothing dispatches an issue in progress.
 * Nothing is said while the merge queue was not observed.
 */
export function lostClaims(rig: string, o: PoolObserved, workers: ReadonlySet<string>): WorkerAction[] {
  if (!o.queuedIssues) return [];
  const queued = new Set(o.queuedIssues);
  const prefix = `${rig}/polecats/`;
  return o.issues.flatMap((i): WorkerAction[] => {
    const polecat = i.assignee?.startsWith(prefix) ? i.assignee.slice(prefix.length) : undefined;
    return i.status === 'in_progress' && polecat && !workers.has(polecat) && !queued.has(i.id) ? [{ type: 'releaseLostClaim', issueId: i.id, polecat }] : [];
  });
}

/** Temporaries of polecat clones cut short: removed (a clone is made under the pool's key lock, so none is in progress). */
export function partialClones(o: PoolObserved): WorkerAction[] {
  return (o.partialClones ?? []).map((dir): WorkerAction => ({ type: 'removePartialClone', dir }));
}
