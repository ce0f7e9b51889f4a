import { describe, expect, it } from 'vitest';
import { planRefinery, type RefineryObserved } from '../controllers/merge-queue/plan.js';
import { planPool } from '../controllers/worker-pool/plan.js';
import type { PoolObserved } from '../controllers/worker-pool/observed.js';
import type { Rig } from '../src/model/objects.js';
import { awaitVerdict, type HookPlugin, type Verdict, type VerdictWait } from '../src/plugins/hooks.js';
import { withDefaults } from './support/manifests.js';

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const plugin = (defaultVerdict: Verdict): HookPlugin => ({ name: 'judge', address: 'plugins/judge', timeoutMs: 60_000, defaultVerdict });

// [case, seconds since the question, the plugin's answer, its default verdict, where it stands]
const cases: [string, number, Verdict | undefined, Verdict, VerdictWait][] = [
  ['just asked: wait the whole timeout, look again soon', 0, undefined, 'proceed', { waitMs: 60_000, recheckMs: 5000 }],
  ['most of the timeout gone: look again when it ends', 57, undefined, 'proceed', { waitMs: 3000, recheckMs: 3000 }],
  ['answered proceed', 10, 'proceed', 'escalate', { verdict: 'proceed', answered: true }],
  ['answered escalate', 10, 'escalate', 'proceed', { verdict: 'escalate', answered: true }],
  ['an answer after the timeout still counts', 90, 'escalate', 'proceed', { verdict: 'escalate', answered: true }],
  ['silent until the timeout: its default (proceed)', 60, undefined, 'proceed', { verdict: 'proceed', answered: false }],
  ['silent past the timeout: its default (escalate)', 600, undefined, 'escalate', { verdict: 'escalate', answered: false }],
];

describe('awaitVerdict (one rule for every hook point)', () => {
  it.each(cases)('%s', (_, waited, answer, defaultVerdict, expected) => {
    expect(awaitVerdict(plugin(defaultVerdict), { messageId: 'm1', at: ago(waited) }, answer ? { m1: answer } : {}, now)).toEqual(expected);
  });
});

// beforeMerge (the merge queue) and onWorkerStuck (the worker pool) decide alike from the same question and answer.
const rig: Rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', workers: { stuckAfter: '1m' } });

function beforeMerge(p: HookPlugin, asked: { messageId: string; at: string }, verdicts: Record<string, Verdict>): string {
  const o: RefineryObserved = {
    now,
    cloneReady: true,
    remoteHead: 'main',
    current: undefined,
    attempts: [],
    plugins: [p],
    verdicts,
    asked: {},
    requests: [{ issueId: 'w-1', branch: 'polecat/nux/w-1', head: 'abc', polecat: 'nux', readyAt: ago(3600), asked: { plugin: p.name, ...asked } }],
    issues: { 'w-1': { status: 'in_progress', priority: 2, title: 'w-1' } },
  };
  const plan = planRefinery(rig, false, o);
  const a = plan.actions[0];
  return a ? (a.type === 'merge' ? 'proceed' : a.type === 'holdRequest' ? 'escalate' : a.type) : `wait ${plan.requeueAfterMs}ms`;
}

function onWorkerStuck(p: HookPlugin, asked: { messageId: string; at: string }, verdicts: Record<string, Verdict>): string {
  const o: PoolObserved = {
    now,
    issues: [{ id: 'w-1', title: 'w-1', description: '', status: 'in_progress', priority: 2, issue_type: 'task', created_at: ago(7200), updated_at: ago(7200), dependencies: [] }],
    ready: [],
    records: [
      {
        name: 'nux',
        rig: 'wyvern',
        issueId: 'w-1',
        branch: 'polecat/nux/w-1',
        state: 'working',
        createdAt: ago(3600),
        starts: [ago(3600)],
        nudges: 0,
        rejectedDone: 0,
        stuckAsk: { plugin: p.name, ...asked },
      },
    ],
    signals: {},
    sessions: [{ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now - 3_000_000 }],
    clones: {},
    polecatDirs: ['nux'],
    reusableDirs: [],
    swarmOf: {},
    swarmLimits: {},
    pool: { spawnFailures: 0 },
    handoffs: {},
    stuckPlugins: [p],
    stuckVerdicts: verdicts,
    stuckAsked: {},
    contractReady: true,
    remoteHead: 'main',
    refineryCloned: true,
  };
  const plan = planPool(rig, 1, false, o);
  const a = plan.actions[0];
  return a ? (a.type === 'nudge' ? 'proceed' : a.type === 'escalate' ? 'escalate' : a.type) : `wait ${plan.requeueAfterMs}ms`;
}

describe('the merge queue and the worker pool wait for a verdict alike', () => {
  it.each(cases)('%s', (_, waited, answer, defaultVerdict, expected) => {
    const outcome = 'verdict' in expected ? expected.verdict : `wait ${expected.recheckMs}ms`;
    const asked = { messageId: 'm1', at: ago(waited) };
    const verdicts: Record<string, Verdict> = answer ? { m1: answer } : {};
    expect(beforeMerge(plugin(defaultVerdict), asked, verdicts)).toBe(outcome);
    expect(onWorkerStuck(plugin(defaultVerdict), asked, verdicts)).toBe(outcome);
  });
});
