import { describe, expect, it } from 'vitest';
import { planPool } from '../controllers/worker-pool/plan.js';
import { cloneIsDisposable } from '../src/policy/clone-safety.js';
import type { PoolObserved } from '../controllers/worker-pool/observed.js';
import type { Issue } from '../src/beads/record.js';
import type { Rig } from '../src/model/objects.js';
import type { WorkerRecord } from '../src/workers/records.js';
import { agentFingerprint } from '../src/workers/breaker.js';
import { withDefaults } from './support/manifests.js';
import { poolIssue, poolObserved } from './support/pool.js';

const rig: Rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', workers: { max: 2, spawnDelay: '0s' } });
const now = Date.parse('2026-11-25T12:00:00.000Z');

const issue = (id: string, over: Partial<Issue> = {}): Issue => poolIssue(id, '2026-11-25T10:00:00.000Z', over);

function record(name: string, issueId: string): WorkerRecord {
  return {
    name,
    rig: 'wyvern',
    issueId,
    branch: `polecat/${name}/${issueId}`,
    state: 'working',
    createdAt: '2026-11-25T11:59:00.000Z',
    starts: ['2026-11-25T11:59:00.000Z'],
    nudges: 0,
    rejectedDone: 0,
  };
}

const observed = (over: Partial<PoolObserved> = {}): PoolObserved => poolObserved(now, over);

describe('planPool (pure)', () => {
  it('a clone may go only with nothing uncommitted, stashed or unpushed on any branch', () => {
    const clean = { dirty: 0, stashes: 0, head: 'a', remoteHead: 'a', ahead: 1, unpushed: 0 };
    expect(cloneIsDisposable(clean)).toBe(true);
    expect(cloneIsDisposable({ ...clean, unpushed: 2 })).toBe(false);
    expect(cloneIsDisposable({ ...clean, dirty: 1 })).toBe(false);
    expect(cloneIsDisposable({ ...clean, stashes: 1 })).toBe(false);
    expect(cloneIsDisposable(undefined)).toBe(false);
  });

  it('an issue closed by someone else releases its worker without a merge request, keeping a clone with work', () => {
    const o = observed({
      issues: [issue('w-1', { status: 'closed' })],
      records: [record('nux', 'w-1')],
      sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now }],
      clones: { nux: { exists: true, verify: { dirty: 1, stashes: 0, head: 'a', remoteHead: undefined, ahead: 0, unpushed: 0 } } },
    });
    const p = planPool(rig, 1, false, o);
    expect(p.actions).toEqual([
      { type: 'stopSession', name: 'nux', session: 'gt-wyvern-nux' },
      { type: 'releaseWorker', name: 'nux', removeClone: false },
    ]);
  });

  it('work sent back by the merge queue waits for the polecat that did it', () => {
    const back = issue('w-2', { assignee: 'wyvern/polecats/nux', priority: 0 });
    const other = issue('w-3');
    const o = observed({
      issues: [back, other, issue('w-1', { status: 'in_progress' })],
      ready: [back, other],
      records: [record('nux', 'w-1')],
      sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now }],
    });
    const p = planPool(rig, 1, false, o);
    expect(p.actions).toEqual([{ type: 'spawnWorker', name: 'toast', issueId: 'w-3', title: 'w-3', branch: 'polecat/toast/w-3', base: 'main' }]);
    expect(p.notes).toContain('w-2 waits for polecat nux, whose work it is');
  });

  it('a polecat that dies every 9 minutes is crash-looping (a count in a 10-minute window would restart it forever)', () => {
    const at = (minAgo: number) => new Date(now - minAgo * 60_000).toISOString();
    const r = { ...record('nux', 'w-1'), starts: [at(36), at(27), at(18), at(9)] };
    const p = planPool(rig, 1, false, observed({ issues: [issue('w-1', { status: 'in_progress' })], records: [r] }));
    expect(p.actions).toEqual([{ type: 'escalate', name: 'nux', state: 'crashLooping', reason: 'its session died 4 times without running 10 minutes in one go' }]);
    // Runs of 11 minutes are healthy: restarted, until the restart budget is spent.
    const slow = { ...record('nux', 'w-1'), starts: [at(44), at(33), at(22), at(11)] };
    expect(planPool(rig, 1, false, observed({ issues: [issue('w-1', { status: 'in_progress' })], records: [slow] })).actions).toMatchObject([{ type: 'restartSession', name: 'nux' }]);
    const spent = { ...slow, starts: Array.from({ length: 11 }, (_, i) => at(11 * (11 - i))) };
    expect(planPool(rig, 1, false, observed({ issues: [issue('w-1', { status: 'in_progress' })], records: [spent] })).actions).toEqual([
      { type: 'escalate', name: 'nux', state: 'crashLooping', reason: 'its session died 11 times on w-1 (workers.restartBudget 10)' },
    ]);
  });

  it('an onWorkerStuck plugin that never answers is PluginUnresponsive on the rig', () => {
    const plugin = { name: 'medic', address: 'wyvern/plugins/medic', timeoutMs: 60_000, defaultVerdict: 'proceed' as const };
    const asked = ['m1', 'm2', 'm3'].map((id, i) => ({ id, at: new Date(now - (30 - i) * 60_000).toISOString() }));
    const p = planPool(rig, 1, false, observed({ stuckPlugins: [plugin], stuckAsked: { medic: asked } }));
    expect(p.findings.map((f) => f.code)).toEqual(['PluginUnresponsive']);
    expect(p.findings[0]!.message).toContain('plugin medic left its last 3 onWorkerStuck questions unanswered');
    expect(planPool(rig, 1, false, observed({ stuckPlugins: [plugin], stuckAsked: { medic: asked }, stuckVerdicts: { m3: 'escalate' } })).findings).toEqual([]);
  });

  it('a breaker or a crash loop recorded under another effective agent (a Town agent change) is re-armed', () => {
    const townA = { apiVersion: 'gastown.dev/v1alpha1', kind: 'Town', metadata: { name: 't' }, spec: { root: '/t', agent: { command: ['agent-a'] } } } as const;
    const townB = { ...townA, spec: { ...townA.spec, agent: { command: ['agent-b'] } } };
    const a = agentFingerprint(townA as never, rig);
    const b = agentFingerprint(townB as never, rig);
    expect(a).not.toBe(b);
    // The Rig's own command wins over the Town's: a Town change under it changes nothing.
    const own: Rig = { ...rig, spec: { ...rig.spec, agent: { command: ['mine'] } } };
    expect(agentFingerprint(townA as never, own)).toBe(agentFingerprint(townB as never, own));

    const breaker = { reason: '3 spawns in a row died', openedAt: '2026-11-25T11:00:00.000Z', generation: 1, agent: a };
    const ready = [issue('w-1')];
    expect(planPool(rig, 1, false, observed({ issues: ready, ready, pool: { spawnFailures: 3, breaker } }), { agent: a }).findings.map((f) => f.code)).toEqual(['BreakerOpen']);
    // The deaths that tripped it were the old agent's: forgotten first, never counted again.
    const rearmed = planPool(rig, 1, false, observed({ issues: ready, ready, pool: { spawnFailures: 6, breaker } }), { agent: b });
    expect(rearmed.findings).toEqual([]);
    expect(rearmed.actions).toMatchObject([
      { type: 'resetSpawnFailures', rearmed: true },
      { type: 'spawnWorker', issueId: 'w-1' },
    ]);
    expect(rearmed.actions.map((x) => x.type)).not.toContain('tripBreaker');
    // A new Rig generation re-arms it the same way.
    expect(planPool(rig, 2, false, observed({ issues: ready, ready, pool: { spawnFailures: 6, breaker } }), { agent: a }).actions.map((x) => x.type)).toEqual(['resetSpawnFailures', 'spawnWorker']);

    const looping: WorkerRecord = { ...record('nux', 'w-2'), state: 'crashLooping', escalatedAt: '2026-11-25T11:10:00.000Z', crashLoop: { generation: 1, agent: a } };
    const o = observed({
      issues: [issue('w-2', { status: 'in_progress', assignee: 'wyvern/polecats/nux' })],
      records: [looping],
      sessions: [{ name: 'gt-wyvern-nux', alive: false, polecat: 'nux', activityAt: now }],
      clones: { nux: { exists: true, verify: { dirty: 1, stashes: 0, head: 'a', remoteHead: undefined, ahead: 1, unpushed: 1 } } },
    });
    expect(planPool(rig, 1, false, o, { agent: a }).findings.map((f) => f.code)).toEqual(['WorkerCrashLooping']);
    expect(planPool(rig, 1, false, o, { agent: b }).actions).toEqual([
      { type: 'releaseIssue', name: 'nux', issueId: 'w-2', why: 'the Rig spec or its agent changed' },
      { type: 'stopSession', name: 'nux', session: 'gt-wyvern-nux' },
      { type: 'releaseWorker', name: 'nux', removeClone: false },
    ]);
    // gt reset-breaker after the escalation re-arms it too.
    const reset = planPool(rig, 1, false, { ...o, pool: { spawnFailures: 0, rearmedAt: '2026-11-25T11:20:00.000Z' } }, { agent: a });
    expect(reset.actions[0]).toEqual({ type: 'releaseIssue', name: 'nux', issueId: 'w-2', why: 'gt reset-breaker' });
  });

  it("dispatches bd's ready set minus claimed issues: a person's claim or a worker's record is never taken", () => {
    const mine = issue('w-1', { priority: 0, assignee: 'alice' });
    const held = issue('w-2', { priority: 1 });
    const free = issue('w-3');
    const o = observed({ issues: [mine, held, free], ready: [mine, held, free], records: [record('nux', 'w-2')], sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now }] });
    const p = planPool(rig, 1, false, o);
    expect(p.actions.filter((a) => a.type === 'spawnWorker')).toEqual([{ type: 'spawnWorker', name: 'toast', issueId: 'w-3', title: 'w-3', branch: 'polecat/toast/w-3', base: 'main' }]);
    expect(p.notes).toContain('2 ready issue(s) are already claimed: not dispatched');
  });

  it('a rig whose issues cannot be reached plans nothing and says why', () => {
    const why = { code: 'BeadsBdNotOnPath', message: 'wyvern/.beads holds a SQLite database (beads.db), which only bd reads, and bd is not on PATH' };
    expect(planPool(rig, 1, false, observed({ ready: [issue('w-1')], trackerUnavailable: why }))).toEqual({ actions: [], findings: [why] });
  });

  it('issues kept in the repository wait for the refinery clone: a note, looked at again soon, no finding', () => {
    const why = { code: 'BeadsCloneMissing', message: "the rig's issues live in its repository, read through the clone /t/wyvern/refinery/rig, which is not there yet", waiting: true };
    expect(planPool(rig, 1, false, observed({ ready: [issue('w-1')], trackerUnavailable: why }))).toEqual({ actions: [], findings: [], notes: [why.message], requeueAfterMs: 1000 });
  });
});

describe('planPool: a spawn whose clone failed backs off', () => {
  const ready = issue('w-1');
  const failures = (attempts: number, secondsAgo: number) => ({
    attempts,
    lastAt: new Date(now - secondsAgo * 1000).toISOString(),
    error: 'cannot clone /srv/w.git: no such repository',
    issueId: 'w-1',
    polecat: 'nux',
  });

  it('waits 5 s after one failure, doubling with each further one, and says why with the next attempt time', () => {
    const one = planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], pool: { spawnFailures: 0, cloneFailures: failures(1, 2) } }));
    expect(one.actions).toEqual([]);
    expect(one.requeueAfterMs).toBe(3000);
    expect(one.findings).toEqual([{ code: 'CloneFailing', message: expect.stringContaining('no such repository') as string }]);
    expect(one.findings[0]!.message).toContain(`next attempt at ${new Date(now + 3000).toISOString()}`);
    const three = planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], pool: { spawnFailures: 0, cloneFailures: failures(3, 2) } }));
    expect(three.actions).toEqual([]);
    expect(three.requeueAfterMs).toBe(18_000);
    const many = planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], pool: { spawnFailures: 0, cloneFailures: failures(30, 2) } }));
    expect(many.requeueAfterMs).toBe(5 * 60_000 - 2000);
  });

  it('tries again once the time has come, and says nothing waits when no issue is ready', () => {
    const due = planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], pool: { spawnFailures: 0, cloneFailures: failures(1, 6) } }));
    expect(due.actions).toEqual([{ type: 'spawnWorker', name: 'nux', issueId: 'w-1', title: 'w-1', branch: 'polecat/nux/w-1', base: 'main' }]);
    const idle = planPool(rig, 1, false, observed({ pool: { spawnFailures: 0, cloneFailures: failures(1, 2) } }));
    expect(idle.findings).toEqual([]);
    expect(idle.notes?.join('\n')).toContain('the next spawn tries again');
  });
});

describe("planPool: the rig's default branch", () => {
  const ready = issue('w-1');
  it('does not dispatch before the default branch is known, and says why', () => {
    const p = planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], remoteHead: undefined }));
    expect(p.actions).toEqual([]);
    expect(p.notes?.join('\n')).toContain("the rig's default branch is not known yet");
  });
  it("bases new work on the spec's defaultBranch, else on the remote's HEAD", () => {
    expect(planPool(rig, 1, false, observed({ issues: [ready], ready: [ready], remoteHead: 'trunk' })).actions).toMatchObject([{ type: 'spawnWorker', base: 'trunk' }]);
    const named: Rig = { ...rig, spec: { ...rig.spec, defaultBranch: 'develop' } };
    expect(planPool(named, 1, false, observed({ issues: [ready], ready: [ready], remoteHead: undefined })).actions).toMatchObject([{ type: 'spawnWorker', base: 'develop' }]);
  });
});
