import { describe, expect, it } from 'vitest';
import { cloneIsDisposable, planPool } from '../controllers/workers/plan.js';
import type { PoolObserved } from '../controllers/workers/observed.js';
import type { Issue } from '../src/beads/record.js';
import type { Rig } from '../src/model/objects.js';
import type { WorkerRecord } from '../src/workers/records.js';

const rig: Rig = { apiVersion: 'gastown.dev/v1alpha1', kind: 'Rig', metadata: { name: 'wyvern' }, spec: { gitUrl: '/srv/w.git', workers: { max: 2, spawnDelay: '0s' } } };
const now = Date.parse('2026-11-25T12:00:00.000Z');

function issue(id: string, over: Partial<Issue> = {}): Issue {
  return { id, title: id, description: '', status: 'open', priority: 2, issue_type: 'task', created_at: '2026-11-25T10:00:00.000Z', updated_at: '2026-11-25T10:00:00.000Z', dependencies: [], ...over };
}

function record(name: string, issueId: string): WorkerRecord {
  return { name, rig: 'wyvern', issueId, branch: `polecat/${name}/${issueId}`, state: 'working', createdAt: '2026-11-25T11:59:00.000Z', starts: ['2026-11-25T11:59:00.000Z'], nudges: 0, rejectedDone: 0 };
}

function observed(over: Partial<PoolObserved> = {}): PoolObserved {
  return { now, issues: [], ready: [], records: [], signals: {}, sessions: [], clones: {}, polecatDirs: [], reusableDirs: [], swarmOf: {}, swarmLimits: {}, pool: { spawnFailures: 0 }, handoffs: {}, stuckPlugins: [], stuckVerdicts: {}, contractReady: true, ...over };
}

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
    const o = observed({ issues: [back, other, issue('w-1', { status: 'in_progress' })], ready: [back, other], records: [record('nux', 'w-1')], sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now }] });
    const p = planPool(rig, 1, false, o);
    expect(p.actions).toEqual([{ type: 'spawnWorker', name: 'toast', issueId: 'w-3', title: 'w-3', branch: 'polecat/toast/w-3' }]);
    expect(p.notes).toContain('w-2 waits for polecat nux, whose work it is');
  });

  it("dispatches bd's ready set minus claimed issues: a person's claim or a worker's record is never taken", () => {
    const mine = issue('w-1', { priority: 0, assignee: 'alice' });
    const held = issue('w-2', { priority: 1 });
    const free = issue('w-3');
    const o = observed({ issues: [mine, held, free], ready: [mine, held, free], records: [record('nux', 'w-2')], sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now }] });
    const p = planPool(rig, 1, false, o);
    expect(p.actions.filter((a) => a.type === 'spawnWorker')).toEqual([{ type: 'spawnWorker', name: 'toast', issueId: 'w-3', title: 'w-3', branch: 'polecat/toast/w-3' }]);
    expect(p.notes).toContain('2 ready issue(s) are already claimed: not dispatched');
  });

  it('a rig whose issues cannot be reached plans nothing and says why', () => {
    const why = { code: 'BeadsBdNotOnPath', message: 'wyvern/.beads holds a SQLite database (beads.db), which only bd reads, and bd is not on PATH' };
    expect(planPool(rig, 1, false, observed({ ready: [issue('w-1')], trackerUnavailable: why }))).toEqual({ actions: [], findings: [why] });
  });
});
