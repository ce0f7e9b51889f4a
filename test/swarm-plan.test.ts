import { describe, expect, it } from 'vitest';
import type { Issue } from '../src/beads/record.js';
import type { Swarm } from '../src/model/objects.js';
import type { SwarmTask } from '../src/generated/manifest-types.js';
import { withDefaults, type Written } from './support/manifests.js';
import { describeSwarmAction, type SwarmPlan } from '../controllers/swarm-wave/actions.js';
import { progressLine, taskTable, type SwarmDetails } from '../src/swarm/details.js';
import type { SwarmObserved } from '../controllers/swarm-wave/observe.js';
import { planSwarm, specWaves } from '../controllers/swarm-wave/plan.js';
import { parseSwarmRef, workDone } from '../controllers/swarm-wave/refs.js';

// The pure half of the swarm controller: no files, no processes.

type Task = Written<SwarmTask>;

const DIAMOND: Task[] = [
  { id: 'a', title: 'A' },
  { id: 'b', title: 'B', dependsOn: ['a'] },
  { id: 'c', title: 'C', dependsOn: ['a'] },
  { id: 'd', title: 'D', dependsOn: ['b', 'c'] },
  { id: 'e', title: 'E', priority: 1 },
];

function swarm(tasks: Task[] = DIAMOND, extra: Written<Swarm['spec']> = {}): Swarm {
  return withDefaults('Swarm', 's1', { rig: 'wyvern', title: 'Diamond', tasks, ...extra });
}

let clock = 0;
function issue(id: string, ref: string, fields: Partial<Issue> = {}): Issue {
  clock++;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString();
  return { id, title: id, description: '', status: 'open', priority: 2, issue_type: 'task', created_at: at, updated_at: at, external_ref: ref, dependencies: [], ...fields };
}

const pc = (from: string, to: string) => ({ issue_id: from, depends_on_id: to, type: 'parent-child' });
const bl = (from: string, to: string) => ({ issue_id: from, depends_on_id: to, type: 'blocks' });

function observed(issues: Issue[], extra: Partial<SwarmObserved> = {}): SwarmObserved {
  return { rig: 'present', beadsReady: true, issues, readyIds: [], awaitingMerge: [], ...extra };
}

/** The diamond fully rendered: epic w-0, tasks w-a … w-e with their links; statuses by task id. */
function rendered(status: Record<string, string> = {}, readyIds: string[] = []): SwarmObserved {
  const epic = issue('w-0', 'gt-swarm:s1', {
    issue_type: 'epic',
    title: 'Diamond',
    status: 'in_progress',
    description: 'Swarm "s1", managed by gt: its tasks are the child issues of this epic. Progress: gt get swarm s1',
  });
  const tasks = swarm().spec.tasks.map((t) =>
    issue(`w-${t.id}`, `gt-swarm:s1/${t.id}`, {
      title: t.title,
      priority: t.priority,
      status: status[t.id] ?? 'open',
      dependencies: [pc(`w-${t.id}`, 'w-0'), ...t.dependsOn.map((d) => bl(`w-${t.id}`, `w-${d}`))],
    }),
  );
  return observed([epic, ...tasks], { readyIds });
}

const texts = (p: SwarmPlan) => p.actions.map((a) => `${describeSwarmAction(a).op} ${describeSwarmAction(a).text}`);
const details = (p: SwarmPlan) => p.details as SwarmDetails;

describe('specWaves', () => {
  it('puts tasks without dependsOn in wave 1 and each task one wave after its latest dependency', () => {
    expect(Object.fromEntries(specWaves(swarm().spec.tasks))).toEqual({ a: 1, b: 2, c: 2, d: 3, e: 1 });
  });

  it('does not loop on a cycle that slipped past validation', () => {
    const cyclic = swarm([
      { id: 'a', title: 'A', dependsOn: ['b'] },
      { id: 'b', title: 'B', dependsOn: ['a'] },
      { id: 'c', title: 'C' },
    ]);
    const w = specWaves(cyclic.spec.tasks);
    expect(Object.fromEntries(w)).toEqual({ c: 1, a: 2, b: 2 });
  });
});

describe('planSwarm', () => {
  it('creates the epic, then the tasks with their blockers first', () => {
    const p = planSwarm(swarm(), false, observed([]));
    expect(texts(p)).toEqual([
      '+ epic gt-swarm:s1 "Diamond"',
      '+ task gt-swarm:s1/a "A" (P2)',
      '+ task gt-swarm:s1/e "E" (P1)',
      '+ task gt-swarm:s1/b "B" (P2, after a)',
      '+ task gt-swarm:s1/c "C" (P2, after a)',
      '+ task gt-swarm:s1/d "D" (P2, after b, c)',
    ]);
    expect(p.findings).toEqual([]);
  });

  it('has nothing to do for a rendered swarm, but is not done: a progress note and notReady', () => {
    const p = planSwarm(swarm(), false, rendered({}, ['w-a', 'w-e']));
    expect(p.actions).toEqual([]);
    expect(p.findings).toEqual([]);
    expect(p.notes).toEqual(['0/5 tasks closed (0%), wave 1 of 3 in progress (ready: a, e); waves to come: 2, 3']);
    expect(p.notReady).toEqual({ reason: 'InProgress', message: p.notes![0] });
    expect(details(p)).toMatchObject({ epic: 'w-0', total: 5, closed: 0, percent: 0, waves: 3, currentWave: 1, wavesToCome: [2, 3], ready: ['a', 'e'], complete: false });
    expect(details(p).counts).toEqual({ open: 2, blocked: 3 });
  });

  it('reports the wave of the lowest unclosed task and the waves after it', () => {
    const p = planSwarm(swarm(), false, rendered({ a: 'closed', e: 'closed', b: 'in_progress' }, ['w-c']));
    expect(details(p)).toMatchObject({ closed: 2, percent: 40, currentWave: 2, wavesToCome: [3], ready: ['c'] });
    expect(details(p).counts).toEqual({ closed: 2, in_progress: 1, open: 1, blocked: 1 });
    expect(progressLine(details(p))).toBe('2/5 tasks closed (40%), wave 2 of 3 in progress (ready: c); waves to come: 3');
    expect(taskTable(details(p))).toEqual([
      'TASK  ISSUE  WAVE  STATE        TITLE',
      'a     w-a    1     closed       A',
      'e     w-e    1     closed       E',
      'b     w-b    2     in_progress  B',
      'c     w-c    2     open         C',
      'd     w-d    3     blocked      D',
    ]);
  });

  it('closes the epic once every task is closed and merged, and only then', () => {
    const all = { a: 'closed', b: 'closed', c: 'closed', d: 'closed', e: 'closed' };
    const merging = planSwarm(swarm(), false, { ...rendered(all), awaitingMerge: ['w-d'] });
    expect(merging.actions).toEqual([]);
    expect(details(merging)).toMatchObject({ closed: 5, percent: 100, currentWave: null, awaitingMerge: ['d'], complete: false });
    expect(merging.notReady?.message).toBe('5/5 tasks closed (100%); awaiting merge: d; waves to come: none');

    const done = planSwarm(swarm(), false, rendered(all));
    expect(texts(done)).toEqual(['~ close epic w-0 (gt-swarm:s1): every task of Swarm "s1" is closed and merged']);
    expect(done.notReady).toBeUndefined();
    expect(done.notes).toEqual([]);
  });

  it('puts an open (or closed) epic back in progress while tasks remain', () => {
    const o = rendered();
    o.issues[0] = { ...o.issues[0]!, status: 'open' };
    expect(texts(planSwarm(swarm(), false, o))).toEqual(['~ epic w-0 (gt-swarm:s1) in_progress: Swarm "s1" has tasks to do']);
  });

  it('adopts issues left by an interrupted pass and adds only their missing links', () => {
    const epic = issue('w-0', 'gt-swarm:s1', {
      issue_type: 'epic',
      title: 'Diamond',
      status: 'in_progress',
      description: 'Swarm "s1", managed by gt: its tasks are the child issues of this epic. Progress: gt get swarm s1',
    });
    const a = issue('w-a', 'gt-swarm:s1/a', { title: 'A' });
    const b = issue('w-b', 'gt-swarm:s1/b', { title: 'B', dependencies: [pc('w-b', 'w-0')] });
    const p = planSwarm(swarm(DIAMOND.slice(0, 3)), false, observed([epic, a, b]));
    expect(texts(p)).toEqual([
      '+ task gt-swarm:s1/c "C" (P2, after a)',
      '+ dependency: gt-swarm:s1/a is a child of gt-swarm:s1 (parent-child)',
      '+ dependency: gt-swarm:s1/b waits for gt-swarm:s1/a (blocks)',
    ]);
  });

  it('updates edited titles, descriptions and priorities in place', () => {
    const tasks = DIAMOND.map((t) => (t.id === 'a' ? { ...t, title: 'A2', description: 'words', priority: 0 } : t));
    const p = planSwarm(swarm(tasks, { title: 'Diamond 2' }), false, rendered());
    expect(texts(p)).toEqual(['~ epic w-0 (gt-swarm:s1): title "Diamond" -> "Diamond 2"', '~ task a w-a (gt-swarm:s1/a): title "A" -> "A2", description, priority P2 -> P0']);
  });

  it('closes removed tasks nobody worked on, and reports the others', () => {
    const o = rendered();
    const e = o.issues.find((i) => i.id === 'w-e')!;
    const x = issue('w-x', 'gt-swarm:s1/x', { dependencies: [pc('w-x', 'w-0')] });
    const y = issue('w-y', 'gt-swarm:s1/y', { status: 'in_progress', assignee: 'wyvern/polecats/nux' });
    const z = issue('w-z', 'gt-swarm:s1/z', { comments: [{ id: '1', issue_id: 'w-z', author: 'wyvern/polecats/toast', text: 'deferred', created_at: e.created_at }] });
    const old = issue('w-old', 'gt-swarm:s1/old', { status: 'closed' });
    const p = planSwarm(swarm(DIAMOND.slice(0, 4)), false, { ...o, issues: [...o.issues, x, y, z, old] });
    expect(texts(p)).toEqual([
      '- close w-e (gt-swarm:s1/e): task "e" was removed from the spec and no work was done on it',
      '- close w-x (gt-swarm:s1/x): task "x" was removed from the spec and no work was done on it',
    ]);
    expect(p.findings.map((f) => f.code)).toEqual(['RemovedTaskHasWork', 'RemovedTaskHasWork']);
    expect(p.findings[0]!.message).toContain('w-y (it is in_progress)');
    expect(p.findings[1]!.message).toContain('w-z (it has 1 comment from wyvern/polecats/toast)');
    expect(details(p).removedWithWork).toEqual([
      { id: 'y', issue: 'w-y', status: 'in_progress' },
      { id: 'z', issue: 'w-z', status: 'open' },
    ]);
  });

  it('reports a dependsOn dropped from the spec while the old dependency still holds the task back', () => {
    const tasks = DIAMOND.map((t) => (t.id === 'd' ? { ...t, dependsOn: ['b'] } : t));
    const p = planSwarm(swarm(tasks), false, rendered());
    expect(p.actions).toEqual([]);
    expect(p.findings.map((f) => f.code)).toEqual(['StaleTaskDependency']);
    expect(p.findings[0]!.message).toContain('bd dep remove w-d w-c');
    // Once the old blocker is closed it holds nothing back: nothing to say.
    expect(planSwarm(swarm(tasks), false, rendered({ c: 'closed' })).findings).toEqual([]);
  });

  it('does not add a dependency that would close a cycle with an old one', () => {
    const tasks: Task[] = [
      { id: 'a', title: 'A', dependsOn: ['b'] },
      { id: 'b', title: 'B' },
    ];
    const epic = issue('w-0', 'gt-swarm:s1', {
      issue_type: 'epic',
      title: 'Diamond',
      status: 'in_progress',
      description: 'Swarm "s1", managed by gt: its tasks are the child issues of this epic. Progress: gt get swarm s1',
    });
    const a = issue('w-a', 'gt-swarm:s1/a', { title: 'A', dependencies: [pc('w-a', 'w-0')] });
    const b = issue('w-b', 'gt-swarm:s1/b', { title: 'B', dependencies: [pc('w-b', 'w-0'), bl('w-b', 'w-a')] });
    const p = planSwarm(swarm(tasks), false, observed([epic, a, b]));
    expect(p.actions).toEqual([]);
    expect(p.findings.map((f) => f.code).sort()).toEqual(['DependencyCycle', 'StaleTaskDependency']);
  });

  it('uses the oldest of duplicate issues and reports the rest', () => {
    const o = rendered();
    const dup = issue('w-a2', 'gt-swarm:s1/a', { title: 'A' });
    const p = planSwarm(swarm(), false, { ...o, issues: [...o.issues, dup] });
    expect(p.findings.map((f) => f.code)).toEqual(['DuplicateSwarmIssue']);
    expect(p.findings[0]!.message).toContain('gt uses w-a (the oldest)');
    expect(p.actions).toEqual([]);
  });

  it('does nothing without its rig, or while the rig is being removed', () => {
    for (const rig of ['missing', 'removing'] as const) {
      const p = planSwarm(swarm(), false, { ...rendered(), rig });
      expect(p.actions).toEqual([]);
      expect(p.findings.map((f) => f.code)).toEqual([rig === 'missing' ? 'RigMissing' : 'RigBeingRemoved']);
    }
  });

  it("waits for the rig's issue database without writing, saying what it will do", () => {
    const p = planSwarm(swarm(), false, observed([], { beadsReady: false }));
    expect(p.actions).toEqual([]);
    expect(p.requeueAfterMs).toBe(500);
    expect(p.notes?.[0]).toBe('waits for Rig "wyvern" to set up wyvern/.beads; then:');
    expect(p.notes).toContain('  + epic gt-swarm:s1 "Diamond"');
  });

  it('a deleted Swarm closes its untouched tasks and its epic, names the worked ones, then removes its record', () => {
    const o = rendered({ a: 'closed', b: 'in_progress' });
    o.issues.find((i) => i.id === 'w-c')!.comments = [{ id: '1', issue_id: 'w-c', author: 'wyvern/polecats/nux', text: 'deferred', created_at: '' }];
    const p = planSwarm(swarm(), true, o);
    expect(texts(p)).toEqual([
      '- close w-d (gt-swarm:s1/d): Swarm "s1" was deleted and no work was done on it',
      '- close w-e (gt-swarm:s1/e): Swarm "s1" was deleted and no work was done on it',
      '~ close epic w-0 (gt-swarm:s1): Swarm "s1" was deleted',
      '- remove Swarm/s1 from the store; left as they are (work was done on them): b w-b (it is in_progress), c w-c (it has 1 comment from wyvern/polecats/nux)',
    ]);
    expect(p.findings).toEqual([]);
  });

  it('a Swarm whose rig is gone keeps its last known progress and says so', () => {
    const last = details(planSwarm(swarm(), false, rendered({ a: 'closed', b: 'closed' })));
    const p = planSwarm(swarm(), false, observed([], { rig: 'missing', beadsReady: false, lastKnown: last }));
    expect(p.actions).toEqual([]);
    expect(details(p)).toEqual({ ...last, rigMissing: true });
    expect(p.findings.map((f) => f.code)).toEqual(['RigMissing']);
    expect(p.findings[0]!.message).toContain('(last known: 2/5 tasks closed)');
    expect(progressLine(details(p))).toMatch(/^2\/5 tasks closed \(40%\).*\[last known: rig wyvern is gone\]$/);
  });

  it('a deleted Swarm whose rig is gone is removed without touching any issue', () => {
    const p = planSwarm(swarm(), true, observed([], { rig: 'missing', beadsReady: false }));
    expect(texts(p)).toEqual(['- remove Swarm/s1 from the store']);
    expect(p.notes).toEqual(['Swarm "s1" is being deleted; its issues are not touched: Rig "wyvern" is not in the town']);
  });

  it('says when the swarm is suspended', () => {
    const p = planSwarm(swarm(DIAMOND, { suspend: true }), false, rendered());
    expect(p.notes).toContain('Swarm "s1" is suspended: no polecat takes its tasks until suspend is false');
    expect(details(p).suspended).toBe(true);
  });
});

describe('refs', () => {
  it('parses epic and task refs, and nothing else', () => {
    expect(parseSwarmRef('gt-swarm:s1')).toEqual({ swarm: 's1' });
    expect(parseSwarmRef('gt-swarm:s1/a')).toEqual({ swarm: 's1', task: 'a' });
    expect(parseSwarmRef('gt-swarm:s1/a/b')).toBeUndefined();
    expect(parseSwarmRef('gh-12')).toBeUndefined();
    expect(parseSwarmRef(undefined)).toBeUndefined();
  });

  it('counts claims, other statuses and polecat comments as work, and other comments not', () => {
    expect(workDone(issue('x', 'r'))).toBeUndefined();
    expect(workDone(issue('x', 'r', { comments: [{ id: '1', issue_id: 'x', author: 'overseer', text: 'hm', created_at: '' }] }))).toBeUndefined();
    expect(workDone(issue('x', 'r', { assignee: 'someone' }))).toBe('it is claimed by someone');
    expect(workDone(issue('x', 'r', { status: 'blocked' }))).toBe('it is blocked');
  });
});
