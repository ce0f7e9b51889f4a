import type { Issue } from '../../src/beads/record.js';
import type { IssuePatch, IssueTracker } from '../../src/beads/tracker.js';
import type { ControllerContext, Target } from '../../src/engine/controller.js';
import type { Rig, Swarm } from '../../src/model/objects.js';
import { failpoint } from '../../src/util/failpoint.js';
import type { SwarmAction } from './actions.js';
import { oldest, workDone } from './refs.js';

/** Every action but the record's removal changes issues, and can go into one batch of the tracker. */
export function writesIssues(a: SwarmAction): boolean {
  return a.type !== 'finalizeSwarm';
}

export async function actSwarm(ctx: ControllerContext, t: Target<Swarm>, a: SwarmAction): Promise<string | void> {
  if (a.type === 'finalizeSwarm') {
    if (!(await ctx.store.finalize('Swarm', a.name))) return 'kept: applied again while it was being removed';
    return;
  }
  const r = await actSwarmBatch(ctx, t, [a]);
  if ('error' in r) throw r.error;
}

/**
 * The issue actions of one pass as one batch of the rig's tracker: the embedded tracker writes
 * the beads file once for all of them. The swarm's issues are indexed by external_ref once, and
 * the index follows each change, so a swarm of 20,000 tasks costs one read and one write.
 */
export async function actSwarmBatch(ctx: ControllerContext, t: Target<Swarm>, actions: SwarmAction[]): Promise<{ done: number; error?: unknown }> {
  const swarm = t.object.manifest;
  const rigObject = t.world.objects.find((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === swarm.spec.rig);
  if (!rigObject) return { done: 0, error: new Error(`Rig "${swarm.spec.rig}" is not in the town`) };
  const tracker = await ctx.services.tracker(rigObject.manifest as Rig, t.world.town?.manifest);
  let done = 0;
  let failed: { error: unknown } | undefined;
  try {
    await tracker.batch(async (tx) => {
      // A batch may be run again on a newer version of the issues (a repository's branch that moved).
      done = 0;
      failed = undefined;
      const refs = new RefIndex(tx, await tx.list());
      try {
        for (const a of actions) {
          await actOne(tx, refs, swarm, a);
          done++;
        }
      } catch (error) {
        failed = { error }; // the actions before it are written all the same
      }
    });
  } catch (error) {
    return { done: 0, error }; // the write itself failed: none of them happened
  }
  failpoint('swarm:after-write');
  return failed ? { done, error: failed.error } : { done };
}

/**
 * Every step looks its issues up by external_ref first and does only what is missing, so a pass
 * interrupted anywhere (or run twice) creates nothing twice.
 */
async function actOne(tracker: IssueTracker, refs: RefIndex, swarm: Swarm, a: SwarmAction): Promise<void> {
  switch (a.type) {
    case 'createEpic': {
      let epic = await refs.find(a.ref);
      if (!epic) {
        epic = refs.note(await tracker.create({ title: a.title, description: a.description, type: 'epic', externalRef: a.ref }));
        failpoint('swarm:after-create-epic');
      }
      // An open epic would be offered by bd ready as work; the swarm's epic is in progress until it completes.
      if (epic.status === 'open') refs.note(await tracker.update(epic.id, { status: 'in_progress' }));
      return;
    }
    case 'createTask': {
      const epic = await refs.need(a.epicRef, `the epic of task ${a.task}`);
      const blockers = [];
      for (const ref of a.blockedBy) blockers.push(await refs.need(ref, `a blocker of task ${a.task}, created first`));
      const existing = await refs.find(a.ref);
      if (!existing) {
        refs.note(await tracker.create({ title: a.title, description: a.description, priority: a.priority, type: 'task', externalRef: a.ref, parent: epic.id, blockedBy: blockers.map((b) => b.id) }));
        failpoint('swarm:after-create-task');
        return;
      }
      // Made by an interrupted pass or by hand since the plan: only its missing links are added.
      let task = await link(tracker, refs, existing, epic.id, 'parent-child');
      for (const b of blockers) task = await link(tracker, refs, task, b.id, 'blocks');
      return;
    }
    case 'updateIssue': {
      const issue = await refs.need(a.ref, a.what);
      const patch: IssuePatch = {};
      for (const c of a.changes) {
        if (c.field === 'priority') patch.priority = c.to;
        else patch[c.field] = c.to;
      }
      refs.note(await tracker.update(issue.id, patch));
      return;
    }
    case 'addDependency': {
      const issue = await refs.need(a.ref, 'the dependent issue');
      const on = await refs.need(a.dependsOnRef, 'the issue it depends on');
      await link(tracker, refs, issue, on.id, a.depType);
      return;
    }
    case 'closeRemovedTask':
      return closeUnworked(tracker, refs, a.issueId, a.ref, `task "${a.task}" was removed from Swarm "${swarm.metadata.name}"; no work had been done on it`);
    case 'closeTaskOfDeletedSwarm':
      return closeUnworked(tracker, refs, a.issueId, a.ref, `Swarm "${a.swarm}" was deleted; no work had been done on this task`);
    case 'setEpicStatus': {
      const epic = await refs.need(a.ref, 'the epic');
      if (a.status === 'closed') {
        if (epic.status !== 'closed') refs.note(await tracker.close(epic.id, a.reason));
        return;
      }
      const open = epic.status === 'closed' ? refs.note(await tracker.reopen(epic.id, a.reason)) : epic;
      if (open.status !== 'in_progress') refs.note(await tracker.update(epic.id, { status: 'in_progress' }));
      return;
    }
    case 'finalizeSwarm':
      throw new Error('the record of a Swarm is removed on its own, after its issues are written');
  }
}

/** The issues by external_ref, as they stand after each change made through it. */
class RefIndex {
  private readonly byRef = new Map<string, Issue[]>();

  constructor(
    private readonly tracker: IssueTracker,
    issues: readonly Issue[],
  ) {
    for (const i of issues) this.note(i);
  }

  note(issue: Issue): Issue {
    if (issue.external_ref === undefined) return issue;
    const list = this.byRef.get(issue.external_ref) ?? [];
    const at = list.findIndex((i) => i.id === issue.id);
    if (at >= 0) list[at] = issue;
    else list.push(issue);
    this.byRef.set(issue.external_ref, list);
    return issue;
  }

  async find(ref: string): Promise<Issue | undefined> {
    const found = oldest(this.byRef.get(ref) ?? []);
    // Dependencies as the backend keeps them (bd list may leave them out).
    return found && this.tracker.backend === 'bd' ? ((await this.tracker.get(found.id)) ?? found) : found;
  }

  async need(ref: string, why: string): Promise<Issue> {
    const i = await this.find(ref);
    if (!i) throw new Error(`no issue with external_ref ${ref} (${why})`);
    return i;
  }
}

async function closeUnworked(tracker: IssueTracker, refs: RefIndex, issueId: string, ref: string, reason: string): Promise<void> {
  const issue = await tracker.get(issueId);
  if (!issue || issue.status === 'closed') return;
  if (issue.external_ref !== ref) throw new Error(`${issueId} no longer carries external_ref ${ref}; not closed`);
  // The plan saw no work on it; a polecat may have claimed it since. Look again right before closing.
  const why = workDone(issue);
  if (why) throw new Error(`not closing ${issueId}: ${why} (changed since it was planned)`);
  refs.note(await tracker.close(issue.id, reason));
}

async function link(tracker: IssueTracker, refs: RefIndex, issue: Issue, dependsOn: string, type: 'blocks' | 'parent-child'): Promise<Issue> {
  if (issue.dependencies.some((d) => d.type === type && d.depends_on_id === dependsOn)) return issue;
  return refs.note(await tracker.addDependency(issue.id, dependsOn, type));
}
