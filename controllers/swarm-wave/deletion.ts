import type { Finding } from '../../src/engine/controller.js';
import type { SwarmAction, LeftTask, SwarmPlan } from './actions.js';
import type { SwarmObserved } from './observe.js';
import { epicRef, oldest, parseSwarmRef, taskRef, workDone } from './refs.js';

/**
 * Pure: the finalizer of a deleted Swarm. Its task issues nobody worked on are closed, the
 * worked ones are named and left as they are, the epic is closed, then the record is removed.
 * (The worker pool dispatches nothing of a swarm being deleted or gone; see workers/observe.ts.)
 */
export function planSwarmDeletion(name: string, rig: string, o: SwarmObserved): SwarmPlan {
  const findings: Finding[] = [];
  const finalize = (left: LeftTask[]): SwarmAction => ({ type: 'finalizeSwarm', name, left });
  if (o.rig !== 'present' || !o.beadsReady) {
    const why = o.rig === 'missing' ? `Rig "${rig}" is not in the town` : o.rig === 'removing' ? `Rig "${rig}" is being removed` : `${rig}/.beads does not exist`;
    return { actions: [finalize([])], findings, notes: [`Swarm "${name}" is being deleted; its issues are not touched: ${why}`] };
  }
  const actions: SwarmAction[] = [];
  const left: LeftTask[] = [];
  const tasks = o.issues
    .map((issue) => ({ issue, task: parseSwarmRef(issue.external_ref)?.task }))
    .filter((x): x is { issue: (typeof o.issues)[number]; task: string } => x.task !== undefined && x.issue.status !== 'closed')
    .sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : a.issue.id < b.issue.id ? -1 : 1));
  for (const { issue, task } of tasks) {
    const why = workDone(issue);
    if (why === undefined) actions.push({ type: 'closeTaskOfDeletedSwarm', ref: taskRef(name, task), swarm: name, task, issueId: issue.id });
    else left.push({ task, issueId: issue.id, why });
  }
  const epic = oldest(o.issues.filter((i) => i.external_ref === epicRef(name)));
  if (epic && epic.status !== 'closed') actions.push({ type: 'setEpicStatus', ref: epicRef(name), issueId: epic.id, status: 'closed', reason: `Swarm "${name}" was deleted` });
  actions.push(finalize(left));
  return { actions, findings, notes: [] };
}
