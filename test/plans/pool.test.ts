import { describe, expect, it } from 'vitest';
import type { PoolObserved, SessionView } from '../../controllers/worker-pool/observed.js';
import { planPool } from '../../controllers/worker-pool/plan.js';
import type { Issue } from '../../src/beads/record.js';
import type { HookPlugin } from '../../src/plugins/hooks.js';
import type { VerifyFacts } from '../../src/workers/verification.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import { withDefaults } from '../support/manifests.js';
import { poolIssue, poolObserved } from '../support/pool.js';

// Every branch of the worker pool's plan, as (rig, observed) -> actions, findings, notes and when
// to look again; the safety rules first: a clone with work is never removed, budgets and the
// breaker hold. The clock is `now`.

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const GEN = 2;
// max 2, no spawn delay, stuck after 1m, 2 nudges, backoff 5s doubling, 3 restarts, budget 4, breaker at 3
const rig = withDefaults('Rig', 'wyvern', {
  gitUrl: '/srv/w.git',
  workers: { max: 2, spawnDelay: '0s', stuckAfter: '1m', maxNudges: 2, maxRestarts: 3, restartBudget: 4, breakerThreshold: 3, names: ['nux', 'toast', 'slit'] },
});

const issue = (id: string, over: Partial<Issue> = {}): Issue => poolIssue(id, ago(7200), over);
const worker = (over: Partial<WorkerRecord> = {}): WorkerRecord => ({
  name: 'nux',
  rig: 'wyvern',
  issueId: 'w-1',
  branch: 'polecat/nux/w-1',
  state: 'working',
  createdAt: ago(3600),
  starts: [ago(3600)],
  nudges: 0,
  rejectedDone: 0,
  ...over,
});
const session = (over: Partial<SessionView> = {}): SessionView => ({ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now - 1000, ...over });
const clean: VerifyFacts = { dirty: 0, stashes: 0, head: 'c1', remoteHead: 'c1', ahead: 1, unpushed: 0 };
const dirty: VerifyFacts = { ...clean, dirty: 2 };
const unpushed: VerifyFacts = { ...clean, unpushed: 1 };
const plugin: HookPlugin = { name: 'medic', address: 'wyvern/plugins/medic', timeoutMs: 60_000, defaultVerdict: 'proceed' };

const observed = (over: Partial<PoolObserved> = {}): PoolObserved => poolObserved(now, over);
/** One working polecat nux on w-1 (in progress), with whatever else the case says. */
const one = (over: Partial<PoolObserved> = {}, w: Partial<WorkerRecord> = {}, s: Partial<SessionView> | null = {}): PoolObserved =>
  observed({
    issues: [issue('w-1', { status: 'in_progress', assignee: 'wyvern/polecats/nux' })],
    records: [worker(w)],
    sessions: s ? [session(s)] : [],
    clones: { nux: { exists: true, headMovedAt: now - 3_600_000, verify: clean } },
    ...over,
  });

interface Case {
  name: string;
  o: PoolObserved;
  rig?: typeof rig;
  stopping?: boolean;
  townSuspended?: boolean;
  actions: object[];
  findings?: string[];
  notes?: RegExp;
  requeueAfterMs?: number;
}

function check(c: Case): void {
  const p = planPool(c.rig ?? rig, GEN, c.stopping ?? false, c.o, { townSuspended: c.townSuspended ?? false, agent: 'A' });
  expect(p.actions).toHaveLength(c.actions.length);
  c.actions.forEach((a, i) => expect(p.actions[i]).toMatchObject(a));
  expect(p.findings.map((f) => f.code)).toEqual(c.findings ?? []);
  if (c.notes) expect(p.notes!.join('\n')).toMatch(c.notes);
  expect(p.requeueAfterMs).toBe(c.requeueAfterMs);
}

describe('planPool: finished work and clone safety', () => {
  const done = (status: 'completed' | 'deferred' | 'escalated', verify: VerifyFacts | undefined, message?: string) =>
    one({ signals: { nux: { status, at: ago(1), ...(message ? { message } : {}) } }, clones: { nux: { exists: verify !== undefined, ...(verify ? { verify } : {}) } } });
  it.each<Case>([
    {
      name: 'completed, verified: ready to merge, session stopped, clean clone removed',
      o: done('completed', clean),
      actions: [{ type: 'markReadyToMerge', issueId: 'w-1', head: 'c1' }, { type: 'stopSession' }, { type: 'releaseWorker', removeClone: true }],
    },
    { name: 'completed with uncommitted changes: rejected, nothing released', o: done('completed', dirty), actions: [{ type: 'rejectDone', problems: ['2 uncommitted changes'] }] },
    { name: 'completed but the clone is gone: rejected', o: done('completed', undefined), actions: [{ type: 'rejectDone', problems: ['the clone is missing'] }] },
    {
      name: 'deferred with a dirty clone: the issue goes back, the clone is kept',
      o: done('deferred', dirty, 'later'),
      actions: [{ type: 'returnIssue', status: 'deferred', message: 'later' }, { type: 'stopSession' }, { type: 'releaseWorker', removeClone: false }],
    },
    {
      name: 'escalated with an unpushed commit on another branch: the clone is kept',
      o: done('escalated', unpushed),
      actions: [{ type: 'returnIssue', status: 'escalated' }, { type: 'stopSession' }, { type: 'releaseWorker', removeClone: false }],
    },
    {
      name: 'escalated, nothing inspected: kept (unknown is unsafe)',
      o: done('escalated', undefined),
      actions: [{ type: 'returnIssue' }, { type: 'stopSession' }, { type: 'releaseWorker', removeClone: false }],
    },
    {
      name: 'its issue closed by someone else: released, a dirty clone kept',
      o: one({ issues: [issue('w-1', { status: 'closed' })], clones: { nux: { exists: true, verify: dirty } } }),
      actions: [{ type: 'stopSession' }, { type: 'releaseWorker', removeClone: false }],
    },
    {
      name: 'its issue blocked (merge budget spent): released, a clean clone removed',
      o: one({ issues: [issue('w-1', { status: 'blocked' })] }),
      actions: [{ type: 'stopSession' }, { type: 'releaseWorker', removeClone: true }],
    },
    {
      name: 'an orphan session whose clone holds work: a finding, never stopped',
      o: observed({ sessions: [session({ name: 'gt-wyvern-slit', polecat: 'slit' })], clones: { slit: { exists: true, unsafe: 'has 1 uncommitted change' } } }),
      actions: [],
      findings: ['OrphanSessionWithWork'],
    },
    {
      name: 'an orphan session with nothing at stake: stopped',
      o: observed({ sessions: [session({ name: 'gt-wyvern-slit', polecat: 'slit' })], clones: { slit: { exists: true } } }),
      actions: [{ type: 'stopOrphan', session: 'gt-wyvern-slit', clone: 'wyvern/polecats/slit' }],
    },
  ])('$name', check);
});

describe('planPool: a working polecat', () => {
  it.each<Case>([
    { name: 'starting: spawned on the base branch', o: one({}, { state: 'starting' }, null), actions: [{ type: 'spawnWorker', name: 'nux', issueId: 'w-1', base: 'main' }] },
    {
      name: 'starting, no base branch known: waits',
      o: one({ remoteHead: undefined, ready: [] }, { state: 'starting' }, null),
      actions: [],
      notes: /spawn waits: the rig's default branch is not known/,
    },
    { name: 'making progress: looked at again when it would be stuck', o: one({}, { starts: [ago(3600)] }, { activityAt: now - 20_000 }), actions: [], requeueAfterMs: 40_000 },
    {
      name: 'a commit counts as progress',
      o: one({ clones: { nux: { exists: true, headMovedAt: now - 10_000, verify: clean } } }, {}, { activityAt: now - 300_000 }),
      actions: [],
      requeueAfterMs: 50_000,
    },
    { name: 'quiet past stuckAfter: nudged', o: one({ clones: { nux: { exists: true, headMovedAt: now - 120_000 } } }, {}, { activityAt: now - 120_000 }), actions: [{ type: 'nudge', count: 1 }] },
    {
      name: 'nudged maxNudges times, still stuck: escalated as stalled',
      o: one({ clones: { nux: { exists: true } } }, { nudges: 2, lastNudgeAt: ago(120) }, { activityAt: now - 600_000 }),
      actions: [{ type: 'escalate', state: 'stalled', reason: 'no progress after 2 nudges' }],
    },
    {
      name: 'stuck, with an onWorkerStuck plugin: asked first',
      o: one({ clones: { nux: { exists: true } }, stuckPlugins: [plugin] }, {}, { activityAt: now - 600_000 }),
      actions: [{ type: 'askStuckPlugin', plugin: 'medic', quietMinutes: 10 }],
    },
    {
      name: 'stuck, the plugin not answered yet: waits for it',
      o: one({ clones: { nux: { exists: true } }, stuckPlugins: [plugin] }, { stuckAsk: { plugin: 'medic', messageId: 'q1', at: ago(10) } }, { activityAt: now - 600_000 }),
      actions: [],
      notes: /plugin medic decides \(at most 50s more\)/,
      requeueAfterMs: 5000,
    },
    {
      name: 'stuck, the plugin says escalate',
      o: one(
        { clones: { nux: { exists: true } }, stuckPlugins: [plugin], stuckVerdicts: { q1: 'escalate' } },
        { stuckAsk: { plugin: 'medic', messageId: 'q1', at: ago(10) } },
        { activityAt: now - 600_000 },
      ),
      actions: [{ type: 'escalate', state: 'stalled' }],
    },
    {
      name: 'stuck, no answer in time: its default (proceed) means a nudge',
      o: one({ clones: { nux: { exists: true } }, stuckPlugins: [plugin] }, { stuckAsk: { plugin: 'medic', messageId: 'q1', at: ago(61) } }, { activityAt: now - 600_000 }),
      actions: [{ type: 'nudge', count: 1 }],
    },
    { name: 'handed off, idle: a fresh session', o: one({ handoffs: { nux: 'h1' } }, {}, { activityAt: now - 5000 }), actions: [{ type: 'cycleWorker', handoff: 'h1' }] },
    { name: 'handed off, mid-turn: waits for quiet', o: one({ handoffs: { nux: 'h1' } }, {}, { activityAt: now - 1000 }), actions: [], requeueAfterMs: 2000 },
    { name: 'escalated (stalled): a finding, it keeps its claim and clone', o: one({}, { state: 'stalled', escalatedAt: ago(60) }), actions: [], findings: ['WorkerStalled'] },
    {
      name: 'crash-looping under this spec and agent: a finding',
      o: one({}, { state: 'crashLooping', escalatedAt: ago(60), crashLoop: { generation: GEN, agent: 'A' } }, null),
      actions: [],
      findings: ['WorkerCrashLooping'],
    },
    {
      name: 'crash-looping, the spec changed since: re-armed, the issue released, a dirty clone kept',
      o: one({ clones: { nux: { exists: true, verify: dirty } } }, { state: 'crashLooping', escalatedAt: ago(60), crashLoop: { generation: GEN - 1, agent: 'A' } }, null),
      actions: [
        { type: 'releaseIssue', why: 'the Rig spec or its agent changed' },
        { type: 'releaseWorker', removeClone: false },
      ],
    },
    {
      name: 'crash-looping, gt reset-breaker since: re-armed',
      o: one({ pool: { spawnFailures: 0, rearmedAt: ago(10) } }, { state: 'crashLooping', escalatedAt: ago(60), crashLoop: { generation: GEN, agent: 'A' } }, {}),
      actions: [{ type: 'releaseIssue', why: 'gt reset-breaker' }, { type: 'stopSession' }, { type: 'releaseWorker', removeClone: true }],
    },
  ])('$name', check);
});

describe('planPool: a dead session, backoff and budgets', () => {
  const died = (starts: string[], s: Partial<SessionView> | null = { alive: false, activityAt: now - 60_000 }, w: Partial<WorkerRecord> = {}) => one({}, { starts, ...w }, s);
  it.each<Case>([
    { name: 'died once, past its backoff: restarted', o: died([ago(3600)]), actions: [{ type: 'restartSession', reason: 'its session exited', earlyDeath: false }] },
    { name: 'gone from tmux: restarted', o: died([ago(3600)], null), actions: [{ type: 'restartSession', reason: 'its session is gone' }] },
    { name: 'died within seconds of its start: restarted after its backoff', o: died([ago(3)], { alive: false, activityAt: now - 2000 }), actions: [], notes: /restart in 2s/, requeueAfterMs: 2000 },
    { name: 'an early death past its backoff: restarted and counted as one', o: died([ago(6)], { alive: false, activityAt: now - 5000 }), actions: [{ type: 'restartSession', earlyDeath: true }] },
    { name: 'second death in the chain: backoff 10 s', o: died([ago(300), ago(4)]), actions: [], notes: /restart in 6s/, requeueAfterMs: 6000 },
    {
      name: 'maxRestarts restarts, then died again: escalated as crash-looping',
      o: died([ago(400), ago(300), ago(200), ago(100)]),
      actions: [{ type: 'escalate', state: 'crashLooping', reason: 'its session died 4 times without running 10 minutes in one go' }],
    },
    {
      name: 'the restart budget on one issue spent, however far apart',
      o: died([ago(20_000), ago(15_000), ago(10_000), ago(5000), ago(1000)]),
      actions: [{ type: 'escalate', state: 'crashLooping', reason: 'its session died 5 times on w-1 (workers.restartBudget 4)' }],
    },
    { name: 'ended by gt stop --now: restarted at once on gt start, not as a crash', o: died([ago(5)], null, { haltedAt: ago(60) }), actions: [{ type: 'restartSession', earlyDeath: false }] },
    {
      name: 'the rig suspended: a dead session is not restarted',
      rig: withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', suspend: true }),
      o: one({}, {}, { alive: false }),
      actions: [],
      notes: /while rig is suspended: it starts again on gt start/,
    },
  ])('$name', check);

  it.each<Case>([
    {
      name: 'a release cut short after its clone was deleted: finished, never restarted nor rejected for the missing clone',
      o: one({ clones: { nux: { exists: false } }, signals: { nux: { status: 'completed', at: ago(30) } } }, { releasingAt: ago(20) }, null),
      actions: [{ type: 'releaseWorker', name: 'nux', removeClone: true }],
    },
    {
      name: 'a release cut short with its session still there: the session ends, the release finishes',
      o: one({ clones: { nux: { exists: false } } }, { releasingAt: ago(20) }),
      actions: [
        { type: 'stopSession', name: 'nux' },
        { type: 'releaseWorker', name: 'nux', removeClone: true },
      ],
    },
    {
      name: 'its clone removed by hand and its session dead: spawned again (a fresh clone), not restarted outside any clone',
      o: one({ clones: { nux: { exists: false } } }, {}, { alive: false }),
      actions: [{ type: 'spawnWorker', name: 'nux', issueId: 'w-1', branch: 'polecat/nux/w-1' }],
    },
  ])('$name', check);

  it.each<Case>([
    {
      name: 'an issue claimed by a polecat with no worker record and no merge request (its record lost): back to ready, for that polecat first',
      o: observed({ issues: [issue('w-1', { status: 'in_progress', assignee: 'wyvern/polecats/nux' })], queuedIssues: [] }),
      actions: [{ type: 'releaseLostClaim', issueId: 'w-1', polecat: 'nux' }],
    },
    {
      name: "a claim whose merge request is queued is the refinery's: left alone",
      o: observed({ issues: [issue('w-1', { status: 'in_progress', assignee: 'wyvern/polecats/nux' })], queuedIssues: ['w-1'] }),
      actions: [],
    },
    {
      name: "a claim by a person or another rig: not the pool's to release",
      o: observed({ issues: [issue('w-1', { status: 'in_progress', assignee: 'overseer' }), issue('w-2', { status: 'in_progress', assignee: 'drake/polecats/nux' })], queuedIssues: [] }),
      actions: [],
    },
    {
      name: 'the temporary of a clone cut short (gt killed mid-clone): removed',
      o: observed({ polecatDirs: ['nux.gt-partial-9199-94854c'], partialClones: ['nux.gt-partial-9199-94854c'] }),
      actions: [{ type: 'removePartialClone', dir: 'nux.gt-partial-9199-94854c' }],
    },
    {
      name: 'the merge queue not observed: nothing is released on a guess',
      o: observed({ issues: [issue('w-1', { status: 'in_progress', assignee: 'wyvern/polecats/nux' })] }),
      actions: [],
    },
  ])('$name', check);

  it('the town stopped: a dead session is not restarted either', () => {
    check({ name: '', o: one({}, {}, { alive: false }), townSuspended: true, actions: [], notes: /while town is stopped: it starts again on gt start/ });
  });
});

describe('planPool: dispatch, its blockers and the breaker', () => {
  const ready = [issue('w-2', { priority: 1 }), issue('w-3', { priority: 2 }), issue('w-4', { priority: 3 })];
  const idle = (over: Partial<PoolObserved> = {}) => observed({ issues: ready, ready, ...over });
  it.each<Case>([
    {
      name: 'free slots: the ready issues by priority, up to max, names from the pool',
      o: idle(),
      actions: [
        { type: 'spawnWorker', name: 'nux', issueId: 'w-2', branch: 'polecat/nux/w-2', base: 'main' },
        { type: 'spawnWorker', name: 'toast', issueId: 'w-3' },
      ],
    },
    {
      name: 'one slot taken: one more',
      o: one({ issues: [issue('w-1', { status: 'in_progress' }), ...ready], ready }),
      actions: [{ type: 'spawnWorker', name: 'toast', issueId: 'w-2' }],
      requeueAfterMs: 59_000,
    },
    {
      name: 'a directory that may hold kept work is not reused as a name',
      o: idle({ polecatDirs: ['nux', 'toast'], reusableDirs: ['toast'] }),
      actions: [
        { type: 'spawnWorker', name: 'toast' },
        { type: 'spawnWorker', name: 'slit' },
      ],
    },
    {
      name: 'an issue claimed by a person is not dispatched',
      o: idle({ ready: [issue('w-2', { assignee: 'alice' }), issue('w-3')] }),
      actions: [{ type: 'spawnWorker', issueId: 'w-3' }],
      notes: /1 ready issue\(s\) are already claimed/,
    },
    {
      name: 'a suspended swarm holds its tasks',
      o: idle({ swarmOf: { 'w-2': 's1', 'w-3': 's1' }, swarmLimits: { s1: 'suspended' } }),
      actions: [{ type: 'spawnWorker', issueId: 'w-4' }],
      notes: /2 ready issue\(s\) wait for their swarm/,
    },
    {
      name: "a swarm's maxParallel",
      o: idle({ swarmOf: { 'w-2': 's1', 'w-3': 's1' }, swarmLimits: { s1: 1 } }),
      actions: [
        { type: 'spawnWorker', issueId: 'w-2' },
        { type: 'spawnWorker', issueId: 'w-4' },
      ],
    },
    { name: 'the rig being removed: nothing dispatched', o: idle(), stopping: true, actions: [], notes: /3 ready issues wait: the rig is being removed/ },
    { name: 'the town stopped: nothing dispatched', o: idle(), townSuspended: true, actions: [], notes: /wait: the town is stopped/ },
    { name: 'the town layout not ready: looked at again soon', o: idle({ contractReady: false }), actions: [], notes: /town layout/, requeueAfterMs: 500 },
    { name: 'no refinery clone yet', o: idle({ refineryCloned: false }), actions: [], notes: /refinery clone is not made yet/, requeueAfterMs: 1000 },
    { name: 'no default branch known', o: idle({ remoteHead: undefined }), actions: [], notes: /default branch is not known yet/, requeueAfterMs: 1000 },
    {
      name: 'the last clone failed: a finding, dispatch backs off',
      o: idle({ pool: { spawnFailures: 0, cloneFailures: { attempts: 2, lastAt: ago(4), error: 'host unreachable', issueId: 'w-2', polecat: 'nux' } } }),
      actions: [],
      findings: ['CloneFailing'],
      notes: /the next attempt is in 6s/,
      requeueAfterMs: 6000,
    },
    {
      name: 'breakerThreshold early deaths in a row: the breaker trips',
      o: idle({ pool: { spawnFailures: 3 } }),
      actions: [{ type: 'tripBreaker', agent: 'A' }, { type: 'spawnWorker' }, { type: 'spawnWorker' }],
    },
    {
      name: 'the breaker open: a finding, nothing dispatched',
      o: idle({ pool: { spawnFailures: 3, breaker: { reason: 'r', openedAt: ago(60), generation: GEN, agent: 'A' } } }),
      actions: [],
      findings: ['BreakerOpen'],
      notes: /circuit breaker is open/,
    },
    {
      name: 'the breaker tripped under another agent: re-armed, the count forgotten',
      o: idle({ pool: { spawnFailures: 3, breaker: { reason: 'r', openedAt: ago(60), generation: GEN, agent: 'B' } } }),
      actions: [{ type: 'resetSpawnFailures', rearmed: true }, { type: 'spawnWorker' }, { type: 'spawnWorker' }],
    },
    {
      name: 'a session up 30 s proves spawning works: the count resets',
      o: one({ pool: { spawnFailures: 2 } }, { starts: [ago(40)] }),
      actions: [{ type: 'resetSpawnFailures' }],
      requeueAfterMs: 59_000,
    },
  ])('$name', check);

  it('with a spawn delay, one polecat per pass, the next after the delay', () => {
    const slow = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', workers: { max: 3, spawnDelay: '2s' } });
    const first = planPool(slow, GEN, false, idle(), { agent: 'A' });
    expect(first.actions.map((a) => a.type)).toEqual(['spawnWorker']);
    const next = planPool(slow, GEN, false, idle({ pool: { spawnFailures: 0, lastSpawnAt: ago(0.5) } }), { agent: 'A' });
    expect(next.actions).toEqual([]);
    expect(next.requeueAfterMs).toBe(1500);
  });

  it('an unreachable tracker: nothing planned, not even a finish', () => {
    const o = one({ signals: { nux: { status: 'completed', at: ago(1) } }, trackerUnavailable: { code: 'BeadsBdNotOnPath', message: 'bd is not on PATH' } });
    expect(planPool(rig, GEN, false, o)).toEqual({ actions: [], findings: [{ code: 'BeadsBdNotOnPath', message: 'bd is not on PATH' }] });
    expect(planPool(rig, GEN, false, { ...o, trackerUnavailable: { code: 'X', message: 'cloning first', waiting: true } })).toEqual({
      actions: [],
      findings: [],
      notes: ['cloning first'],
      requeueAfterMs: 1000,
    });
  });
});
