import { describe, expect, it } from 'vitest';
import { planRefinery, type RefineryObserved } from '../controllers/merge-queue/plan.js';
import type { Rig } from '../src/model/objects.js';
import type { MergeAttempts } from '../src/refinery/attempts.js';
import type { MergeRequest } from '../src/refinery/requests.js';
import { withDefaults } from './support/manifests.js';

const rig: Rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/w.git', mergeQueue: { maxAttempts: 2 } });
const now = Date.parse('2026-11-25T12:00:00.000Z');

function request(issueId: string, head: string, over: Partial<MergeRequest> = {}): MergeRequest {
  return { issueId, branch: `polecat/nux/${issueId}`, head, polecat: 'nux', readyAt: '2026-11-25T11:00:00.000Z', ...over };
}

function attempts(issueId: string, n: number, over: Partial<MergeAttempts> = {}): MergeAttempts {
  return { issueId, rejections: Array.from({ length: n }, (_, i) => ({ at: '2026-11-25T11:00:00.000Z', head: `h${i}`, reason: 'tests failed (make test)' })), lastDetail: 'FAIL', ...over };
}

function observed(over: Partial<RefineryObserved> = {}): RefineryObserved {
  return { now, cloneReady: true, remoteHead: 'main', requests: [], current: undefined, issues: {}, attempts: [], plugins: [], verdicts: {}, asked: {}, ...over };
}

const issue = (status: string) => ({ status, priority: 2, title: 't' });

describe('planRefinery: the merge attempt budget (pure)', () => {
  const table: { name: string; o: RefineryObserved; actions: unknown[]; findings: string[] }[] = [
    {
      name: 'no rejection yet: attempt 1 of 2',
      o: observed({ requests: [request('w-1', 'h9')], issues: { 'w-1': issue('in_progress') } }),
      actions: [{ type: 'merge', issueId: 'w-1', attempt: 1, maxAttempts: 2 }],
      findings: [],
    },
    {
      name: 'one rejection, the branch redone: attempt 2 of 2',
      o: observed({ requests: [request('w-1', 'h9')], issues: { 'w-1': issue('in_progress') }, attempts: [attempts('w-1', 1)] }),
      actions: [{ type: 'merge', issueId: 'w-1', attempt: 2, maxAttempts: 2 }],
      findings: [],
    },
    {
      name: 'the budget spent: the issue is blocked, and its branch never merged, even redone',
      o: observed({ requests: [request('w-1', 'h9')], issues: { 'w-1': issue('in_progress') }, attempts: [attempts('w-1', 2)] }),
      actions: [{ type: 'blockIssue', issueId: 'w-1', rejections: 2, reason: 'tests failed (make test)' }],
      findings: [],
    },
    {
      name: 'blocked and still blocked: a finding, nothing to do',
      o: observed({ issues: { 'w-1': issue('blocked') }, attempts: [attempts('w-1', 2, { blockedAt: '2026-11-25T11:30:00.000Z' })] }),
      actions: [],
      findings: ['IssueBlocked'],
    },
    {
      name: 'reopened by a person: a fresh budget',
      o: observed({ issues: { 'w-1': issue('open') }, attempts: [attempts('w-1', 2, { blockedAt: '2026-11-25T11:30:00.000Z' })] }),
      actions: [{ type: 'forgetAttempts', issueId: 'w-1', why: 'it was reopened (open)' }],
      findings: [],
    },
    {
      name: 'closed: the count is forgotten',
      o: observed({ issues: { 'w-1': issue('closed') }, attempts: [attempts('w-1', 1)] }),
      actions: [{ type: 'forgetAttempts', issueId: 'w-1', why: 'it was closed' }],
      findings: [],
    },
    {
      name: 'blocked by a person before the budget was spent: not ours to report',
      o: observed({ issues: { 'w-1': issue('blocked') }, attempts: [attempts('w-1', 1)] }),
      actions: [],
      findings: [],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const p = planRefinery(rig, false, c.o);
      expect(p.actions).toHaveLength(c.actions.length);
      c.actions.forEach((a, i) => expect(p.actions[i]).toMatchObject(a as object));
      expect(p.findings.map((f) => f.code)).toEqual(c.findings);
    });
  }

  it('a spent budget does not hold up the rest of the queue', () => {
    const o = observed({
      requests: [request('w-1', 'h9'), request('w-2', 'k1')],
      issues: { 'w-1': issue('blocked'), 'w-2': issue('in_progress') },
      attempts: [attempts('w-1', 2, { blockedAt: '2026-11-25T11:30:00.000Z' })],
    });
    const p = planRefinery(rig, false, o);
    expect(p.actions).toMatchObject([{ type: 'merge', issueId: 'w-2' }]);
    expect(p.findings.map((f) => f.code)).toEqual(['IssueBlocked']);
  });
});

describe('a plugin that always times out (pure)', () => {
  const plugin = { name: 'gate', address: 'wyvern/plugins/gate', timeoutMs: 60_000, defaultVerdict: 'proceed' as const };
  const q = (id: string, minAgo: number) => ({ id, at: new Date(now - minAgo * 60_000).toISOString() });
  const codes = (asked: { id: string; at: string }[], verdicts: Record<string, 'proceed' | 'escalate'> = {}) =>
    planRefinery(rig, false, observed({ plugins: [plugin], asked: { gate: asked }, verdicts })).findings.map((f) => f.code);

  it('is PluginUnresponsive after 3 questions in a row left unanswered past its timeout, until it answers again', () => {
    expect(codes([q('m1', 30), q('m2', 20)])).toEqual([]);
    expect(codes([q('m1', 30), q('m2', 20), q('m3', 10)])).toEqual(['PluginUnresponsive']);
    // A question still within its timeout counts neither way.
    expect(codes([q('m1', 30), q('m2', 20), q('m3', 10), q('m4', 0)])).toEqual(['PluginUnresponsive']);
    expect(codes([q('m1', 30), q('m2', 20), q('m3', 10)], { m3: 'proceed' })).toEqual([]);
    expect(codes([q('m1', 30), q('m2', 20), q('m3', 10), q('m4', 5)], { m1: 'proceed' })).toEqual(['PluginUnresponsive']);
  });
});
