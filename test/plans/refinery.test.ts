import { describe, expect, it } from 'vitest';
import { planRefinery, queueOrder, type RefineryObserved } from '../../controllers/merge-queue/plan.js';
import type { MergeAttempts } from '../../src/refinery/attempts.js';
import type { MergeInProgress, MergeRequest } from '../../src/refinery/requests.js';
import type { HookPlugin } from '../../src/plugins/hooks.js';
import { withDefaults } from '../support/manifests.js';

// Every branch of the merge queue's plan, as (rig, observed) -> actions, notes, requeue.

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', mergeQueue: { maxAttempts: 2, testCommand: ['make', 'test'], testTimeout: '2m', strategy: 'squash' } });

const req = (issueId: string, over: Partial<MergeRequest> = {}): MergeRequest => ({ issueId, branch: `polecat/nux/${issueId}`, head: `h-${issueId}`, polecat: 'nux', readyAt: ago(60), ...over });
const issue = (status: string, priority = 2) => ({ status, priority, title: `title` });
const spent = (issueId: string, n: number): MergeAttempts => ({ issueId, rejections: Array.from({ length: n }, (_, i) => ({ at: ago(600), head: `old${i}`, reason: 'conflict' })), lastDetail: '' });
const plugin: HookPlugin = { name: 'review', address: 'plugins/review', timeoutMs: 60_000, defaultVerdict: 'escalate' };

function observed(over: Partial<RefineryObserved> = {}): RefineryObserved {
  return { now, cloneReady: true, remoteHead: 'main', requests: [], current: undefined, issues: {}, attempts: [], plugins: [], verdicts: {}, asked: {}, ...over };
}

describe('queueOrder', () => {
  const cases: { name: string; o: Partial<RefineryObserved>; max?: number; order: string[] }[] = [
    { name: 'empty', o: {}, order: [] },
    {
      name: 'by issue priority, then the time the branch became ready',
      o: { requests: [req('a', { readyAt: ago(10) }), req('b', { readyAt: ago(30) }), req('c', { readyAt: ago(5) })], issues: { a: issue('open', 2), b: issue('open', 2), c: issue('open', 0) } },
      order: ['c', 'b', 'a'],
    },
    { name: 'gt land (direct) first, whatever its priority', o: { requests: [req('a'), req('b', { direct: true })], issues: { a: issue('open', 0), b: issue('open', 4) } }, order: ['b', 'a'] },
    { name: 'an issue gt cannot read sorts last', o: { requests: [req('gone', { readyAt: ago(999) }), req('a')], issues: { a: issue('open', 3) } }, order: ['a', 'gone'] },
    { name: 'a tie is broken by issue id', o: { requests: [req('b'), req('a')], issues: { a: issue('open'), b: issue('open') } }, order: ['a', 'b'] },
    {
      name: 'a head that failed waits for new commits',
      o: { requests: [req('a', { failedHead: 'h-a' }), req('b', { failedHead: 'older' })], issues: { a: issue('open'), b: issue('open') } },
      order: ['b'],
    },
    {
      name: 'a spent budget is out of the queue',
      o: { requests: [req('a'), req('b')], issues: { a: issue('open'), b: issue('open') }, attempts: [spent('a', 2), spent('b', 1)] },
      max: 2,
      order: ['b'],
    },
    { name: 'no budget given: nothing is out for its rejections', o: { requests: [req('a')], issues: { a: issue('open') }, attempts: [spent('a', 9)] }, order: ['a'] },
  ];
  it.each(cases)('$name', ({ o, max, order }) => {
    expect(queueOrder(observed(o), max).map((r) => r.issueId)).toEqual(order);
  });
});

describe('planRefinery', () => {
  const current = (phase: MergeInProgress['phase'], mergeCommit?: string): MergeInProgress => ({
    issueId: 'a',
    branch: 'polecat/nux/a',
    head: 'h-a',
    target: 'main',
    targetBefore: 't0',
    phase,
    startedAt: ago(5),
    ...(mergeCommit ? { mergeCommit } : {}),
  });
  const ready = { requests: [req('a')], issues: { a: issue('in_progress') } };
  const merge = {
    type: 'merge',
    issueId: 'a',
    title: 'title',
    branch: 'polecat/nux/a',
    head: 'h-a',
    strategy: 'squash',
    target: 'main',
    testCommand: ['make', 'test'],
    testTimeoutMs: 120_000,
    skipTests: false,
    attempt: 1,
    maxAttempts: 2,
  };

  const cases: { name: string; o: Partial<RefineryObserved>; removing?: boolean; rig?: typeof rig; actions: object[]; notes?: RegExp[]; requeueAfterMs?: number }[] = [
    { name: 'nothing queued: nothing to do', o: {}, actions: [] },
    { name: 'the head of the queue is merged, by the spec: strategy, tests, timeout, target', o: ready, actions: [merge], requeueAfterMs: 0 },
    { name: 'one merge per pass', o: { requests: [req('a'), req('b')], issues: { a: issue('open'), b: issue('open') } }, actions: [{ type: 'merge', issueId: 'a' }], requeueAfterMs: 0 },
    { name: 'gt land --skip-tests', o: { requests: [req('a', { skipTests: true })], issues: { a: issue('open') } }, actions: [{ ...merge, skipTests: true }], requeueAfterMs: 0 },
    { name: 'after one rejection: attempt 2 of 2', o: { ...ready, attempts: [spent('a', 1)] }, actions: [{ ...merge, attempt: 2 }], requeueAfterMs: 0 },
    {
      name: 'a merge recorded as pushed is finished first (crash after the push)',
      o: { ...ready, current: current('pushed', 'm1') },
      actions: [{ type: 'finishMerge', issueId: 'a', commit: 'm1', target: 'main' }],
    },
    { name: 'pushed by fast-forward: the head is the commit', o: { current: current('pushed') }, actions: [{ type: 'finishMerge', issueId: 'a', commit: 'h-a' }] },
    {
      name: 'a merge interrupted before the push is recovered from git, nothing else',
      o: { ...ready, current: current('pushing', 'm1') },
      actions: [{ type: 'recoverMerge', issueId: 'a', phase: 'pushing' }],
    },
    { name: 'interrupted while merging', o: { current: current('merging') }, actions: [{ type: 'recoverMerge', phase: 'merging' }] },
    {
      name: 'requests of closed or vanished issues are dropped before any merge',
      o: { requests: [req('a'), req('b'), req('c')], issues: { a: issue('closed'), c: issue('open') } },
      actions: [
        { type: 'dropRequest', issueId: 'a', why: 'its issue was closed' },
        { type: 'dropRequest', issueId: 'b', why: 'its issue no longer exists' },
      ],
    },
    { name: 'the rig being removed: no merge, the requests left are said', o: ready, removing: true, actions: [], notes: [/1 merge request\(s\) left: the rig is being removed/] },
    { name: 'the refinery clone not there yet: wait and look again soon', o: { ...ready, cloneReady: false }, actions: [], notes: [/wait for the refinery clone/], requeueAfterMs: 1000 },
    { name: 'no target known (no defaultBranch, no origin/HEAD): no guess', o: { ...ready, remoteHead: undefined }, actions: [], notes: [/default branch is not known/] },
    {
      name: "the spec's defaultBranch over the remote's HEAD",
      o: ready,
      rig: withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', defaultBranch: 'develop' }),
      actions: [{ type: 'merge', target: 'develop', strategy: 'merge', testCommand: [], testTimeoutMs: 600_000, maxAttempts: 3 }],
      requeueAfterMs: 0,
    },
    {
      name: 'mergeQueue.target over both',
      o: { ...ready, remoteHead: undefined },
      rig: withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', defaultBranch: 'develop', mergeQueue: { target: 'release' } }),
      actions: [{ type: 'merge', target: 'release' }],
      requeueAfterMs: 0,
    },
    // beforeMerge plugins
    { name: 'a beforeMerge plugin is asked first', o: { ...ready, plugins: [plugin] }, actions: [{ type: 'askPlugin', issueId: 'a', plugin: 'review', address: 'plugins/review' }] },
    {
      name: 'asked, no answer yet: wait, and look again within 5 s',
      o: { requests: [req('a', { asked: { plugin: 'review', messageId: 'm1', at: ago(20) } })], issues: { a: issue('open') }, plugins: [plugin] },
      actions: [],
      notes: [/waits for plugin review's verdict \(beforeMerge\), at most 40s more/],
      requeueAfterMs: 5000,
    },
    {
      name: 'asked, the plugin says proceed: merged',
      o: { requests: [req('a', { asked: { plugin: 'review', messageId: 'm1', at: ago(20) } })], issues: { a: issue('open') }, plugins: [plugin], verdicts: { m1: 'proceed' } },
      actions: [{ type: 'merge', issueId: 'a' }],
      requeueAfterMs: 0,
    },
    {
      name: 'asked, the plugin escalates: held',
      o: { requests: [req('a', { asked: { plugin: 'review', messageId: 'm1', at: ago(20) } })], issues: { a: issue('open') }, plugins: [plugin], verdicts: { m1: 'escalate' } },
      actions: [{ type: 'holdRequest', issueId: 'a', head: 'h-a', why: 'plugin review escalated it' }],
    },
    {
      name: 'no answer in time: its default verdict decides',
      o: { requests: [req('a', { asked: { plugin: 'review', messageId: 'm1', at: ago(61) } })], issues: { a: issue('open') }, plugins: [plugin] },
      actions: [{ type: 'holdRequest', why: 'plugin review escalated it (no answer in time: its default verdict)' }],
    },
  ];
  it.each(cases)('$name', ({ o, removing, rig: r, actions, notes, requeueAfterMs }) => {
    const p = planRefinery(r ?? rig, removing ?? false, observed(o));
    expect(p.actions).toHaveLength(actions.length);
    actions.forEach((a, i) => expect(p.actions[i]).toMatchObject(a));
    for (const n of notes ?? []) expect(p.notes!.join('\n')).toMatch(n);
    expect(p.requeueAfterMs).toBe(requeueAfterMs);
  });

  it('a plugin that keeps timing out is a finding (PluginUnresponsive)', () => {
    const asked = { review: [1, 2, 3].map((i) => ({ id: `q${i}`, at: ago(600 + i) })) };
    expect(planRefinery(rig, false, observed({ plugins: [plugin], asked })).findings.map((f) => f.code)).toEqual(['PluginUnresponsive']);
    expect(planRefinery(rig, false, observed({ plugins: [plugin], asked, verdicts: { q3: 'proceed' } })).findings).toEqual([]);
  });

  it('details: the current merge, the queue in order, the failed and the blocked', () => {
    const o = observed({
      requests: [req('a', { failedHead: 'h-a', failure: 'conflict' }), req('b'), req('c', { failedHead: 'h-c' })],
      issues: { a: issue('open'), b: issue('open'), c: issue('blocked') },
      attempts: [{ ...spent('c', 2), blockedAt: ago(60) }],
    });
    const d = planRefinery(rig, false, o).details as { queue: { issue: string }[]; failed: { issue: string }[]; blocked: { issue: string; rejections: number }[] };
    expect(d.queue.map((q) => q.issue)).toEqual(['b']);
    expect(d.failed.map((q) => q.issue)).toEqual(['a']);
    expect(d.blocked).toEqual([{ issue: 'c', rejections: 2, failure: 'conflict' }]);
  });
});
