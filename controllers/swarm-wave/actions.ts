import type { ActionText, Plan } from '../../src/engine/controller.js';

export type FieldChange = { field: 'title' | 'description'; from: string; to: string } | { field: 'priority'; from: number; to: number };

/**
 * Everything the swarm controller can do. Issues are named by their external_ref (see refs.ts),
 * not by id: act resolves refs when it runs, so a plan made before an issue existed still applies,
 * and each step first looks the ref up, which makes it safe to repeat after a crash.
 */
export type SwarmAction =
  /** The epic (issue_type epic), then marked in_progress so that bd ready never offers it as work. */
  | { type: 'createEpic'; ref: string; title: string; description: string }
  /** A task issue, child of the epic and blocked by the issues of its dependsOn (created earlier in the same pass). */
  | { type: 'createTask'; ref: string; epicRef: string; task: string; title: string; description: string; priority: number; blockedBy: string[] }
  | { type: 'updateIssue'; ref: string; issueId: string; what: string; changes: FieldChange[] }
  /** `ref` depends on `dependsOnRef`: `blocks` (waits for it) or `parent-child` (is its child). */
  | { type: 'addDependency'; ref: string; dependsOnRef: string; depType: 'blocks' | 'parent-child' }
  /** A task removed from the spec whose issue had no work done on it (act checks again). */
  | { type: 'closeRemovedTask'; ref: string; task: string; issueId: string }
  /** in_progress while tasks remain (reopening a closed epic), closed once every task is closed and merged. */
  | { type: 'setEpicStatus'; ref: string; issueId: string; status: 'in_progress' | 'closed'; reason: string }
  /** The Swarm is being deleted: a task issue nobody worked on is closed (act checks again). */
  | { type: 'closeTaskOfDeletedSwarm'; ref: string; swarm: string; task: string; issueId: string }
  /** The last step of a deletion: the record leaves the store; `left` are the task issues kept because work was done on them. */
  | { type: 'finalizeSwarm'; name: string; left: LeftTask[] };

/**
 * A plan that may also say "nothing to do, but not done": while tasks are still being worked the
 * Swarm is not Ready, yet `gt diff` has nothing to show. `notReady` is read by the engine once
 * `Plan` has the field (see the report to the lead); until then it is carried but ignored.
 */
export interface SwarmPlan extends Plan<SwarmAction> {
  notReady?: { reason: string; message: string };
}

/** A task issue a deletion leaves as it is, and why. */
export interface LeftTask {
  task: string;
  issueId: string;
  why: string;
}

function changeText(c: FieldChange): string {
  switch (c.field) {
    case 'title':
      return `title ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`;
    case 'description':
      return 'description';
    case 'priority':
      return `priority P${c.from} -> P${c.to}`;
  }
}

const taskOf = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);

export function describeSwarmAction(a: SwarmAction): ActionText {
  switch (a.type) {
    case 'createEpic':
      return { op: '+', text: `epic ${a.ref} "${a.title}"` };
    case 'createTask':
      return { op: '+', text: `task ${a.ref} "${a.title}" (P${a.priority}${a.blockedBy.length ? `, after ${a.blockedBy.map(taskOf).join(', ')}` : ''})` };
    case 'updateIssue':
      return { op: '~', text: `${a.what} ${a.issueId} (${a.ref}): ${a.changes.map(changeText).join(', ')}` };
    case 'addDependency':
      return a.depType === 'blocks'
        ? { op: '+', text: `dependency: ${a.ref} waits for ${a.dependsOnRef} (blocks)` }
        : { op: '+', text: `dependency: ${a.ref} is a child of ${a.dependsOnRef} (parent-child)` };
    case 'closeRemovedTask':
      return { op: '-', text: `close ${a.issueId} (${a.ref}): task "${a.task}" was removed from the spec and no work was done on it` };
    case 'setEpicStatus':
      return a.status === 'closed' ? { op: '~', text: `close epic ${a.issueId} (${a.ref}): ${a.reason}` } : { op: '~', text: `epic ${a.issueId} (${a.ref}) in_progress: ${a.reason}` };
    case 'closeTaskOfDeletedSwarm':
      return { op: '-', text: `close ${a.issueId} (${a.ref}): Swarm "${a.swarm}" was deleted and no work was done on it` };
    case 'finalizeSwarm':
      return {
        op: '-',
        text: `remove Swarm/${a.name} from the store${a.left.length ? `; left as they are (work was done on them): ${a.left.map((l) => `${l.task} ${l.issueId} (${l.why})`).join(', ')}` : ''}`,
      };
  }
}

/** Closing a task issue is a judgement on someone's data, and a removed record is gone: their intent is logged first. */
export function swarmActionIsIrreversible(a: SwarmAction): boolean {
  return a.type === 'closeRemovedTask' || a.type === 'closeTaskOfDeletedSwarm' || a.type === 'finalizeSwarm';
}
