import { describe, expect, it } from 'vitest';
import type { DesiredSession } from '../controllers/session-cycle/desired.js';
import { planSessions } from '../controllers/session-cycle/plan.js';
import { planPool } from '../controllers/worker-pool/plan.js';
import type { PoolObserved } from '../controllers/worker-pool/observed.js';
import type { Rig } from '../src/model/objects.js';
import { isCrashLoop, MAX_BACKOFF_MS, restartBackoffMs } from '../src/util/crash-chain.js';
import { withDefaults } from './support/manifests.js';

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();

describe('crash backoff and crash loop (one rule)', () => {
  it.each([
    [5000, 1, 5000],
    [5000, 2, 10_000],
    [5000, 3, 20_000],
    [5000, 4, 40_000],
    [5000, 0, 5000],
    [60_000, 10, MAX_BACKOFF_MS],
  ])('base %ims, death %i: the restart waits %ims', (base, deaths, wait) => {
    expect(restartBackoffMs(base, deaths)).toBe(wait);
  });

  it.each([
    [1, 3, false],
    [3, 3, false],
    [4, 3, true],
    [1, 0, true],
    [0, 0, false],
  ])('%i deaths with maxRestarts %i: crash loop %s', (deaths, max, loop) => {
    expect(isCrashLoop(deaths, max)).toBe(loop);
  });
});

// The same history of quick deaths, seen by the worker pool (a polecat) and the session cycle (the
// mayor), with the same restartBackoff (5s) and maxRestarts (3): the same decision.
const rig: Rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', workers: { restartBackoff: '5s', maxRestarts: 3 } });
const mayor: DesiredSession = {
  name: 'gt-mayor',
  role: 'mayor',
  rig: '',
  address: 'mayor',
  home: '/town/mayor',
  promptFile: '/town/.gt/prompts/_town/gt-mayor.md',
  instructions: 'be the mayor',
  launch: { argv: ['agent'], env: {}, fingerprint: 'f1' },
  enabled: true,
  settings: { idleAfterMs: 10_000, handoffTimeoutMs: 30_000, restartBackoffMs: 5_000, maxRestarts: 3 },
};

type Decision = 'escalate' | 'restart' | `wait ${number}s`;

function workerDecision(starts: string[]): Decision {
  const o: PoolObserved = {
    now,
    issues: [{ id: 'w-1', title: 'w-1', description: '', status: 'in_progress', priority: 2, issue_type: 'task', created_at: ago(3600), updated_at: ago(3600), dependencies: [] }],
    ready: [],
    records: [{ name: 'nux', rig: 'wyvern', issueId: 'w-1', branch: 'polecat/nux/w-1', state: 'working', createdAt: starts[0]!, starts, nudges: 0, rejectedDone: 0 }],
    signals: {},
    sessions: [],
    clones: {},
    polecatDirs: ['nux'],
    reusableDirs: [],
    swarmOf: {},
    swarmLimits: {},
    pool: { spawnFailures: 0 },
    handoffs: {},
    stuckPlugins: [],
    stuckVerdicts: {},
    stuckAsked: {},
    contractReady: true,
    remoteHead: 'main',
    refineryCloned: true,
  };
  const p = planPool(rig, 1, false, o);
  const a = p.actions.find((x) => x.type === 'escalate' || x.type === 'restartSession');
  if (a) return a.type === 'escalate' ? 'escalate' : 'restart';
  return `wait ${Number(/restart in (\d+)s/.exec((p.notes ?? []).join(' '))![1])}s`;
}

function sessionDecision(starts: string[]): Decision {
  // A crash is recorded at the restart that follows it.
  const p = planSessions(
    [mayor],
    {
      root: '/town',
      inheritedPath: '/usr/bin:/bin',
      now,
      contractReady: true,
      sessions: { 'gt-mayor': { record: { name: 'gt-mayor', starts, crashes: starts.slice(1) }, state: {}, unread: { count: 0 } } },
    },
    1,
  );
  const a = p.actions[0];
  if (a) return a.type === 'escalateCrashLoop' ? 'escalate' : 'restart';
  return `wait ${Number(/restart in (\d+)s/.exec((p.notes ?? []).join(' '))![1])}s`;
}

describe('the worker pool and the session cycle agree on a crashing session', () => {
  it.each<[string, number[], Decision]>([
    ['first death, soon after its start', [2], 'wait 3s'],
    ['first death, a minute after its start', [60], 'restart'],
    ['second death: the wait doubles', [20, 8], 'wait 2s'],
    ['third death: doubled again', [60, 40, 15], 'wait 5s'],
    ['third death, its wait over', [120, 90, 30], 'restart'],
    ['fourth death in a chain (maxRestarts 3): a crash loop', [600, 400, 200, 60], 'escalate'],
    ['fourth death, slowly (every 8 minutes): still a crash loop', [24 * 60, 16 * 60, 8 * 60, 60], 'escalate'],
  ])('%s', (_, startsAgo, decision) => {
    const starts = startsAgo.map(ago);
    expect(workerDecision(starts)).toBe(decision);
    expect(sessionDecision(starts)).toBe(decision);
  });
});
