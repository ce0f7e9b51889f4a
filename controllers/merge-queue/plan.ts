import type { Finding, Plan } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { blockedByBudget, budgetSpent, type MergeAttempts } from '../../src/refinery/attempts.js';
import type { MergeInProgress, MergeRequest } from '../../src/refinery/requests.js';
import { parseDuration } from '../../src/util/duration.js';
import type { RefineryAction } from './actions.js';
import { rigDefaultBranch } from '../../src/town/default-branch.js';
import { awaitVerdict, unresponsiveFinding, type HookPlugin, type HookQuestion } from '../../src/plugins/hooks.js';

export interface RefineryObserved {
  now: number;
  cloneReady: boolean;
  /** The remote's default branch as the refinery clone recorded it. */
  remoteHead: string | undefined;
  requests: MergeRequest[];
  current: MergeInProgress | undefined;
  /** The issues of the requests and of the attempt records. */
  issues: Record<string, { status: string; priority: number; title: string }>;
  /** Merge rejections per issue (the attempt budget). */
  attempts: MergeAttempts[];
  plugins: HookPlugin[];
  /** Plugin answers in the refinery's inbox, by the id of the question they reply to. */
  verdicts: Record<string, 'proceed' | 'escalate'>;
  /** The beforeMerge questions each plugin was asked, oldest first. */
  asked: Record<string, HookQuestion[]>;
}

export function maxAttempts(rig: Rig): number {
  return rig.spec.mergeQueue.maxAttempts;
}

/** Merge order: `gt land` first, then issue priority, then the time the branch became ready. Issues whose budget is spent are out. */
export function queueOrder(o: RefineryObserved, max = Infinity): MergeRequest[] {
  const prio = (r: MergeRequest) => o.issues[r.issueId]?.priority ?? 4;
  const spent = new Set(o.attempts.filter((a) => budgetSpent(a, max)).map((a) => a.issueId));
  return o.requests
    .filter((r) => r.failedHead !== r.head && !spent.has(r.issueId))
    .sort((a, b) => Number(!!b.direct) - Number(!!a.direct) || prio(a) - prio(b) || a.readyAt.localeCompare(b.readyAt) || a.issueId.localeCompare(b.issueId));
}

/** Pure: the next step of the rig's merge queue; one merge at a time (DESIGN.md §4 merge-queue). */
export function planRefinery(rig: Rig, removing: boolean, o: RefineryObserved): Plan<RefineryAction> {
  const actions: RefineryAction[] = [];
  const findings: Finding[] = [];
  const notes: string[] = [];
  const mq = rig.spec.mergeQueue;
  const max = maxAttempts(rig);
  const target = mq.target ?? rigDefaultBranch(rig, o.remoteHead);
  const blocked = o.attempts.filter((a) => blockedByBudget(a, o.issues[a.issueId]?.status));
  const details = {
    current: o.current ?? null,
    queue: queueOrder(o, max).map((r) => ({ issue: r.issueId, branch: r.branch, readyAt: r.readyAt })),
    // Sent back to its polecat; a blocked issue is not (it waits for a person), and is listed as blocked.
    failed: o.requests.filter((r) => r.failedHead === r.head && !blocked.some((b) => b.issueId === r.issueId)).map((r) => ({ issue: r.issueId, branch: r.branch, failure: r.failure })),
    blocked: blocked.map((a) => ({ issue: a.issueId, rejections: a.rejections.length, failure: a.rejections[a.rejections.length - 1]?.reason ?? '' })),
  };
  const done = (extra: { requeueAfterMs?: number } = {}): Plan<RefineryAction> => ({ actions, findings, notes, details, ...extra });

  if (o.current) {
    const c = o.current;
    if (c.phase === 'pushed') actions.push({ type: 'finishMerge', issueId: c.issueId, branch: c.branch, head: c.head, commit: c.mergeCommit ?? c.head, target: c.target });
    else actions.push({ type: 'recoverMerge', issueId: c.issueId, phase: c.phase });
    return done();
  }
  for (const r of o.requests) {
    const issue = o.issues[r.issueId];
    if (!issue) actions.push({ type: 'dropRequest', issueId: r.issueId, why: 'its issue no longer exists' });
    else if (issue.status === 'closed') actions.push({ type: 'dropRequest', issueId: r.issueId, why: 'its issue was closed' });
  }
  planBudgets(o, max, actions, findings, rig.metadata.name);
  for (const p of o.plugins) {
    const f = unresponsiveFinding(p, 'beforeMerge', o.asked[p.name] ?? [], o.verdicts, o.now);
    if (f) findings.push(f);
  }
  if (actions.length) return done();
  if (removing) {
    if (o.requests.length) notes.push(`${o.requests.length} merge request(s) left: the rig is being removed`);
    return done();
  }
  const next = queueOrder(o, max)[0];
  if (!next) return done();
  if (!o.cloneReady) {
    notes.push('merges wait for the refinery clone');
    return done({ requeueAfterMs: 1000 });
  }
  if (!target) {
    notes.push("merges wait: the remote's default branch is not known (the refinery clone records no origin/HEAD); set the Rig's defaultBranch or mergeQueue.target");
    return done();
  }
  const plugin = o.plugins[0];
  if (plugin) {
    if (!next.asked) {
      actions.push({ type: 'askPlugin', issueId: next.issueId, plugin: plugin.name, address: plugin.address });
      return done();
    }
    const v = awaitVerdict(plugin, next.asked, o.verdicts, o.now);
    if (!('verdict' in v)) {
      notes.push(`${next.issueId} waits for plugin ${next.asked.plugin}'s verdict (beforeMerge), at most ${Math.ceil(v.waitMs / 1000)}s more`);
      return done({ requeueAfterMs: v.recheckMs });
    }
    if (v.verdict === 'escalate') {
      actions.push({ type: 'holdRequest', issueId: next.issueId, head: next.head, why: `plugin ${next.asked.plugin} escalated it${v.answered ? '' : ' (no answer in time: its default verdict)'}` });
      return done();
    }
  }
  actions.push({
    type: 'merge',
    issueId: next.issueId,
    title: o.issues[next.issueId]?.title ?? next.issueId,
    branch: next.branch,
    head: next.head,
    strategy: mq.strategy,
    target,
    testCommand: mq.testCommand,
    testTimeoutMs: parseDuration(mq.testTimeout),
    skipTests: !!next.skipTests,
    attempt: (o.attempts.find((a) => a.issueId === next.issueId)?.rejections.length ?? 0) + 1,
    maxAttempts: max,
  });
  // One merge per pass; the rest follow at once.
  return done({ requeueAfterMs: 0 });
}

/**
 * The attempt budget of each issue the queue rejected: spent, the issue is blocked (once, with
 * the Overseer told); blocked, it is a finding until a person lets it go; reopened or closed,
 * its count is forgotten.
 */
function planBudgets(o: RefineryObserved, max: number, actions: RefineryAction[], findings: Finding[], rigName: string): void {
  for (const a of o.attempts) {
    const issue = o.issues[a.issueId];
    const last = a.rejections[a.rejections.length - 1];
    if (!issue || issue.status === 'closed') actions.push({ type: 'forgetAttempts', issueId: a.issueId, why: issue ? 'it was closed' : 'it no longer exists' });
    else if (blockedByBudget(a, issue.status)) {
      findings.push({
        code: 'IssueBlocked',
        message: `${a.issueId} is blocked: its branch was rejected ${a.rejections.length} times by the merge queue (last: ${last?.reason ?? 'unknown'}); fix it by hand and reopen it, or run gt issues retry ${a.issueId} --rig ${rigName} for a fresh budget`,
      });
    } else if (a.blockedAt) actions.push({ type: 'forgetAttempts', issueId: a.issueId, why: `it was reopened (${issue.status})` });
    else if (budgetSpent(a, max)) actions.push({ type: 'blockIssue', issueId: a.issueId, rejections: a.rejections.length, reason: last?.reason ?? 'unknown' });
  }
}
