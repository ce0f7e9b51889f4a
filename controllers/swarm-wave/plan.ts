import type { Finding } from '../../src/engine/controller.js';
import type { Issue } from '../../src/beads/record.js';
import type { Swarm } from '../../src/model/objects.js';
import { describeSwarmAction, type FieldChange, type SwarmAction, type SwarmPlan } from './actions.js';
import { progressLine, type SwarmDetails, type SwarmTaskRow, type TaskState } from '../../src/swarm/details.js';
import { planSwarmDeletion } from './deletion.js';
import type { SwarmObserved } from './observe.js';
import { epicRef, oldest, parseSwarmRef, taskRef, workDone } from './refs.js';

type SwarmTask = Swarm['spec']['tasks'][number];

/** The epic's description: fixed, so it never drifts when tasks change. */
export function epicDescription(swarm: string): string {
  return `Swarm "${swarm}", managed by gt: its tasks are the child issues of this epic. Progress: gt get swarm ${swarm}`;
}

/**
 * Waves from the spec's dependency graph: wave 1 holds the tasks with no dependsOn, wave n the
 * tasks whose dependencies all lie in earlier waves. Apply rejects cycles; should one get through
 * anyway, its tasks land in one last wave rather than looping.
 */
export function specWaves(tasks: readonly SwarmTask[]): Map<string, number> {
  // Kahn's order over the dependency graph: each task and each dependsOn edge is visited once.
  const ids = new Set(tasks.map((t) => t.id));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const t of tasks) {
    const deps = [...new Set(t.dependsOn)].filter((d) => ids.has(d) && d !== t.id);
    waiting.set(t.id, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(t.id);
      else dependents.set(d, [t.id]);
    }
  }
  const wave = new Map<string, number>();
  const queue = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  for (const id of queue) wave.set(id, 1);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of dependents.get(id) ?? []) {
      wave.set(next, Math.max(wave.get(next) ?? 0, wave.get(id)! + 1));
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  const stuck = tasks.filter((t) => waiting.get(t.id)! > 0);
  let last = 1;
  for (const t of tasks) if (waiting.get(t.id) === 0 && wave.get(t.id)! + 1 > last) last = wave.get(t.id)! + 1;
  for (const t of stuck) wave.set(t.id, last);
  return wave;
}

function fieldChanges(issue: Issue, want: { title: string; description: string; priority?: number }): FieldChange[] {
  const out: FieldChange[] = [];
  if (issue.title !== want.title) out.push({ field: 'title', from: issue.title, to: want.title });
  if (issue.description !== want.description) out.push({ field: 'description', from: issue.description, to: want.description });
  if (want.priority !== undefined && issue.priority !== want.priority) out.push({ field: 'priority', from: issue.priority, to: want.priority });
  return out;
}

/** Whether `to` is reachable from `from` along the work-ordering dependencies of the given issues. */
function reaches(byId: Map<string, Issue>, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    for (const d of byId.get(queue[i]!)?.dependencies ?? []) {
      if ((d.type !== 'blocks' && d.type !== 'parent-child') || seen.has(d.depends_on_id)) continue;
      if (d.depends_on_id === to) return true;
      seen.add(d.depends_on_id);
      queue.push(d.depends_on_id);
    }
  }
  return false;
}

function taskState(issue: Issue | undefined, ready: ReadonlySet<string>): TaskState {
  if (!issue) return 'missing';
  if (issue.status === 'open') return ready.has(issue.id) ? 'open' : 'blocked';
  return issue.status;
}

/** Pure: what to do for one Swarm given its rig's issues (DESIGN.md §4 swarm-wave). */
export function planSwarm(swarm: Swarm, deleting: boolean, o: SwarmObserved): SwarmPlan {
  const name = swarm.metadata.name;
  const spec = swarm.spec;
  const tasks = spec.tasks;
  const waves = specWaves(tasks);
  const actions: SwarmAction[] = [];
  const findings: Finding[] = [];
  const notes: string[] = [];

  if (deleting) return planSwarmDeletion(name, spec.rig, o);

  // Which issue stands for which ref. Duplicates are reported; the oldest is used.
  const byRef = new Map<string, Issue[]>();
  for (const i of o.issues) {
    const list = byRef.get(i.external_ref!);
    if (list) list.push(i);
    else byRef.set(i.external_ref!, [i]);
  }
  for (const [ref, list] of [...byRef].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (list.length < 2) continue;
    const kept = oldest(list)!;
    findings.push({
      code: 'DuplicateSwarmIssue',
      message: `issues ${list.map((i) => i.id).join(', ')} all carry external_ref ${ref}; gt uses ${kept.id} (the oldest) and leaves the others to you (close them, or clear their external_ref)`,
    });
  }
  const pick = (ref: string) => oldest(byRef.get(ref) ?? []);
  const issuesById = new Map(o.issues.map((i) => [i.id, i]));
  const eRef = epicRef(name);
  const epic = pick(eRef);
  const issueOf = new Map<string, Issue>();
  for (const t of tasks) {
    const i = pick(taskRef(name, t.id));
    if (i) issueOf.set(t.id, i);
  }
  /** issue id -> task id, for every task issue of this swarm (also removed tasks and duplicates). */
  const taskIdOf = new Map<string, string>();
  for (const i of o.issues) {
    const p = parseSwarmRef(i.external_ref);
    if (p?.task !== undefined) taskIdOf.set(i.id, p.task);
  }
  const specIds = new Set(tasks.map((t) => t.id));

  const removedWithWork: Issue[] = [];
  const details = (): SwarmDetails => swarmDetails(swarm, waves, issueOf, epic, o, removedWithWork);

  if (o.rig === 'missing' || o.rig === 'removing') {
    // Status never rewrites history: with the issues out of reach, the last progress read stays.
    const kept = !o.beadsReady && o.lastKnown ? { ...o.lastKnown, rigMissing: true } : undefined;
    const lastSeen = kept ? ` (last known: ${kept.closed}/${kept.total} tasks closed)` : '';
    findings.push(
      o.rig === 'missing'
        ? { code: 'RigMissing', message: `Swarm "${name}" names Rig "${spec.rig}", which is not in the town${lastSeen}; nothing is created until it is: apply the Rig again, or delete the Swarm` }
        : { code: 'RigBeingRemoved', message: `Rig "${spec.rig}" is being removed${lastSeen}; Swarm "${name}" changes nothing in its issues` },
    );
    return { actions: [], findings, notes, details: kept ?? details() };
  }

  // Tasks removed from the spec: closed when untouched, otherwise reported and left.
  const closing = new Set<string>();
  const removals: SwarmAction[] = [];
  for (const i of o.issues) {
    const task = taskIdOf.get(i.id);
    if (task === undefined || specIds.has(task) || i.status === 'closed') continue;
    const why = workDone(i);
    if (why === undefined) {
      closing.add(i.id);
      removals.push({ type: 'closeRemovedTask', ref: taskRef(name, task), task, issueId: i.id });
    } else {
      removedWithWork.push(i);
      findings.push({
        code: 'RemovedTaskHasWork',
        message: `task "${task}" was removed from Swarm "${name}" but work was done on its issue ${i.id} (${why}); gt leaves it open: close it by hand (gt issues close ${i.id}) or put the task back`,
      });
    }
  }

  // The epic.
  const epicWant = { title: spec.title, description: epicDescription(name) };
  if (!epic) actions.push({ type: 'createEpic', ref: eRef, ...epicWant });
  else {
    const changes = fieldChanges(epic, epicWant);
    if (changes.length) actions.push({ type: 'updateIssue', ref: eRef, issueId: epic.id, what: 'epic', changes });
  }

  // Tasks, blockers first (wave order), so one pass creates the whole swarm.
  const ordered = [...tasks].sort((a, b) => waves.get(a.id)! - waves.get(b.id)!);
  const links: SwarmAction[] = [];
  for (const t of ordered) {
    const ref = taskRef(name, t.id);
    const deps = t.dependsOn.filter((d) => specIds.has(d));
    const want = { title: t.title, description: t.description, priority: t.priority };
    const issue = issueOf.get(t.id);
    if (!issue) {
      actions.push({ type: 'createTask', ref, epicRef: eRef, task: t.id, ...want, blockedBy: deps.map((d) => taskRef(name, d)) });
      continue;
    }
    const changes = fieldChanges(issue, want);
    if (changes.length) actions.push({ type: 'updateIssue', ref, issueId: issue.id, what: `task ${t.id}`, changes });
    const has = (type: string, id: string) => issue.dependencies.some((d) => d.type === type && d.depends_on_id === id);
    if (!epic || !has('parent-child', epic.id)) links.push({ type: 'addDependency', ref, dependsOnRef: eRef, depType: 'parent-child' });
    for (const d of deps) {
      const blocker = issueOf.get(d);
      if (blocker && has('blocks', blocker.id)) continue;
      if (blocker && reaches(issuesById, blocker.id, issue.id)) {
        findings.push({
          code: 'DependencyCycle',
          message: `task "${t.id}" now depends on "${d}", but ${blocker.id} already waits for ${issue.id}; remove that old dependency by hand (bd dep remove ${blocker.id} ${issue.id}), then gt adds the new one`,
        });
        continue;
      }
      links.push({ type: 'addDependency', ref, dependsOnRef: taskRef(name, d), depType: 'blocks' });
    }
    // A dependsOn dropped from the spec: gt cannot remove a dependency, so it says so while it still holds the task back.
    for (const dep of issue.dependencies) {
      if (dep.type !== 'blocks') continue;
      const other = taskIdOf.get(dep.depends_on_id);
      if (other === undefined || deps.includes(other)) continue;
      const blocker = issuesById.get(dep.depends_on_id);
      if (!blocker || blocker.status === 'closed' || closing.has(blocker.id)) continue;
      findings.push({
        code: 'StaleTaskDependency',
        message: `task "${t.id}" no longer depends on "${other}" in the spec, but its issue ${issue.id} still waits for ${blocker.id}; gt does not remove dependencies: bd dep remove ${issue.id} ${blocker.id}`,
      });
    }
  }
  actions.push(...links, ...removals);

  const d = details();
  const epicDone = d.complete && removedWithWork.length === 0;
  if (epic) {
    if (epicDone && epic.status !== 'closed') actions.push({ type: 'setEpicStatus', ref: eRef, issueId: epic.id, status: 'closed', reason: `every task of Swarm "${name}" is closed and merged` });
    else if (!epicDone && (epic.status === 'open' || epic.status === 'closed')) {
      actions.push({ type: 'setEpicStatus', ref: eRef, issueId: epic.id, status: 'in_progress', reason: `Swarm "${name}" has tasks to do` });
    }
  }

  const progress = progressLine(d);
  if (!d.complete) notes.push(progress);
  if (d.suspended && !d.complete) notes.push(`Swarm "${name}" is suspended: no polecat takes its tasks until suspend is false`);

  if (!o.beadsReady) {
    // The rig controller has not set up <rig>/.beads yet (a new town): say what will happen, write nothing.
    return {
      actions: [],
      findings,
      notes: [`waits for Rig "${spec.rig}" to set up ${spec.rig}/.beads; then:`, ...actions.map((a) => describeSwarmAction(a)).map((x) => `  ${x.op} ${x.text}`)],
      requeueAfterMs: 500,
      details: d,
    };
  }
  return {
    actions,
    findings,
    notes,
    details: d,
    ...(d.complete ? {} : { notReady: { reason: 'InProgress', message: progress } }),
  };
}

function swarmDetails(swarm: Swarm, waves: Map<string, number>, issueOf: Map<string, Issue>, epic: Issue | undefined, o: SwarmObserved, removedWithWork: Issue[]): SwarmDetails {
  const ready = new Set(o.readyIds);
  const merging = new Set(o.awaitingMerge);
  const rows: SwarmTaskRow[] = swarm.spec.tasks.map((t) => {
    const i = issueOf.get(t.id);
    return {
      id: t.id,
      issue: i?.id ?? null,
      wave: waves.get(t.id)!,
      state: taskState(i, ready),
      title: i?.title ?? t.title,
      assignee: i?.assignee ?? null,
      dependsOn: t.dependsOn,
      awaitingMerge: !!i && i.status === 'closed' && merging.has(i.id),
    };
  });
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  const closed = rows.filter((r) => r.state === 'closed').length;
  const open = rows.filter((r) => r.state !== 'closed');
  const currentWave = open.length ? open.reduce((m, r) => Math.min(m, r.wave), Infinity) : null;
  const total = rows.length;
  return {
    rig: swarm.spec.rig,
    title: swarm.spec.title,
    epic: epic?.id ?? null,
    suspended: swarm.spec.suspend,
    maxParallel: swarm.spec.maxParallel ?? null,
    tasks: rows,
    counts,
    total,
    closed,
    percent: total ? Math.floor((closed * 100) / total) : 100,
    waves: rows.reduce((m, r) => Math.max(m, r.wave), 0),
    currentWave,
    wavesToCome: currentWave === null ? [] : [...new Set(open.map((r) => r.wave))].filter((w) => w > currentWave).sort((a, b) => a - b),
    ready: rows.filter((r) => r.state === 'open').map((r) => r.id),
    awaitingMerge: rows.filter((r) => r.awaitingMerge).map((r) => r.id),
    complete: closed === total && !rows.some((r) => r.awaitingMerge),
    removedWithWork: removedWithWork.map((i) => ({ id: parseSwarmRef(i.external_ref)?.task ?? '?', issue: i.id, status: i.status })),
  };
}
