import type { Issue } from '../../src/beads/record.js';
import type { IssuePatch, IssueTracker } from '../../src/beads/tracker.js';
import type { ControllerContext, Target } from '../../src/engine/controller.js';
import type { Rig, Swarm } from '../../src/model/objects.js';
import { failpoint } from '../../src/util/failpoint.js';
import type { SwarmAction } from './actions.js';
import { oldest, workDone } from './refs.js';

/**
 * Every step looks its issues up by external_ref first and does only what is missing, so a pass
 * interrupted anywhere (or run twice) creates nothing twice.
 */
export async function actSwarm(ctx: ControllerContext, t: Target<Swarm>, a: SwarmAction): Promise<void> {
  const swarm = t.object.manifest;
  if (a.type === 'finalizeSwarm') {
    await ctx.store.remove('Swarm', a.name);
    return;
  }
  const rigObject = t.world.objects.find((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === swarm.spec.rig);
  if (!rigObject) throw new Error(`Rig "${swarm.spec.rig}" is not in the town`);
  const tracker = await ctx.services.tracker(rigObject.manifest as Rig, t.world.town?.manifest);
  const find = async (ref: string): Promise<Issue | undefined> => {
    const found = oldest((await tracker.list()).filter((i) => i.external_ref === ref));
    // Dependencies as the backend keeps them (bd list may leave them out).
    return found && tracker.backend === 'bd' ? ((await tracker.get(found.id)) ?? found) : found;
  };
  const need = async (ref: string, why: string): Promise<Issue> => {
    const i = await find(ref);
    if (!i) throw new Error(`no issue with external_ref ${ref} (${why})`);
    return i;
  };

  switch (a.type) {
    case 'createEpic': {
      let epic = await find(a.ref);
      if (!epic) {
        epic = await tracker.create({ title: a.title, description: a.description, type: 'epic', externalRef: a.ref });
        failpoint('swarm:after-create-epic');
      }
      // An open epic would be offered by bd ready as work; the swarm's epic is in progress until it completes.
      if (epic.status === 'open') await tracker.update(epic.id, { status: 'in_progress' });
      return;
    }
    case 'createTask': {
      const epic = await need(a.epicRef, `the epic of task ${a.task}`);
      const blockers = [];
      for (const ref of a.blockedBy) blockers.push(await need(ref, `a blocker of task ${a.task}, created first`));
      const existing = await find(a.ref);
      if (!existing) {
        await tracker.create({ title: a.title, description: a.description, priority: a.priority, type: 'task', externalRef: a.ref, parent: epic.id, blockedBy: blockers.map((b) => b.id) });
        failpoint('swarm:after-create-task');
        return;
      }
      // Made by an interrupted pass or by hand since the plan: only its missing links are added.
      await link(tracker, existing, epic.id, 'parent-child');
      for (const b of blockers) await link(tracker, existing, b.id, 'blocks');
      return;
    }
    case 'updateIssue': {
      const issue = await need(a.ref, a.what);
      const patch: IssuePatch = {};
      for (const c of a.changes) {
        if (c.field === 'priority') patch.priority = c.to;
        else patch[c.field] = c.to;
      }
      await tracker.update(issue.id, patch);
      return;
    }
    case 'addDependency': {
      const issue = await need(a.ref, 'the dependent issue');
      const on = await need(a.dependsOnRef, 'the issue it depends on');
      await link(tracker, issue, on.id, a.depType);
      return;
    }
    case 'closeRemovedTask':
      return closeUnworked(tracker, a.issueId, a.ref, `task "${a.task}" was removed from Swarm "${swarm.metadata.name}"; no work had been done on it`);
    case 'closeTaskOfDeletedSwarm':
      return closeUnworked(tracker, a.issueId, a.ref, `Swarm "${a.swarm}" was deleted; no work had been done on this task`);
    case 'setEpicStatus': {
      const epic = await need(a.ref, 'the epic');
      if (a.status === 'closed') {
        if (epic.status !== 'closed') await tracker.close(epic.id, a.reason);
        return;
      }
      if (epic.status === 'closed') await tracker.reopen(epic.id, a.reason);
      if (epic.status !== 'in_progress') await tracker.update(epic.id, { status: 'in_progress' });
      return;
    }
  }
}

async function closeUnworked(tracker: IssueTracker, issueId: string, ref: string, reason: string): Promise<void> {
  const issue = await tracker.get(issueId);
  if (!issue || issue.status === 'closed') return;
  if (issue.external_ref !== ref) throw new Error(`${issueId} no longer carries external_ref ${ref}; not closed`);
  // The plan saw no work on it; a polecat may have claimed it since. Look again right before closing.
  const why = workDone(issue);
  if (why) throw new Error(`not closing ${issueId}: ${why} (changed since it was planned)`);
  await tracker.close(issue.id, reason);
}

async function link(tracker: IssueTracker, issue: Issue, dependsOn: string, type: 'blocks' | 'parent-child'): Promise<void> {
  if (issue.dependencies.some((d) => d.type === type && d.depends_on_id === dependsOn)) return;
  await tracker.addDependency(issue.id, dependsOn, type);
}
