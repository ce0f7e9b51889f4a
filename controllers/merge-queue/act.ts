import { rm } from 'node:fs/promises';
import path from 'node:path';
import { git, TRANSFER_TIMEOUT_MS } from '../../src/adapters/git.js';
import type { ControllerContext, Target } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { isOnRemoteTarget, mergeOnto, resetToTarget, runTests } from './merge.js';
import { failpoint } from '../../src/util/failpoint.js';
import type { RefineryAction } from './actions.js';
import { attemptStore } from '../../src/refinery/attempts.js';
import { mergeQueueStore } from '../../src/refinery/requests.js';
import { sendEscalation } from '../../src/town/escalate.js';

/** Returns a short outcome for the log when it is not plain success (a rejected merge). */
export async function actRefinery(ctx: ControllerContext, t: Target<Rig>, a: RefineryAction): Promise<string | void> {
  const rig = t.object.manifest;
  const name = rig.metadata.name;
  const clone = path.join(ctx.root, name, 'refinery', 'rig');
  const store = mergeQueueStore(ctx.root);
  const attempts = attemptStore(ctx.root);
  const tracker = await ctx.services.tracker(rig, t.world.town?.manifest);
  const requests = await store.list(name);
  const request = (issueId: string) => requests.find((r) => r.issueId === issueId);

  /** `head` undefined: the merge's push already deleted the branch (or left it, having moved). */
  const finish = async (issueId: string, branch: string, head: string | undefined, commit: string, target: string) => {
    const issue = await tracker.get(issueId);
    if (issue && issue.status !== 'closed') {
      await tracker.close(issueId, `merged into ${target} as ${commit}`);
      failpoint('merge:after-close');
    }
    // Leased on the merged head, so commits pushed to the branch after it are not deleted.
    if (head !== undefined) {
      await git(['push', '-q', `--force-with-lease=refs/heads/${branch}:${head}`, 'origin', `:refs/heads/${branch}`], { cwd: clone, timeoutMs: 60_000 });
      failpoint('merge:after-branch-delete');
    }
    await store.remove(name, issueId);
    await store.clearCurrent(name);
  };

  switch (a.type) {
    case 'merge': {
      ctx.activity?.(`merge ${a.branch} into ${a.target}: fetching`, TRANSFER_TIMEOUT_MS);
      // Fetching changes nothing that matters; the intent is recorded before the first real step.
      const targetBefore = await resetToTarget(clone, a.target);
      await store.setCurrent(name, { issueId: a.issueId, branch: a.branch, head: a.head, target: a.target, targetBefore, phase: 'merging', startedAt: new Date().toISOString() });
      // A head that cannot be had (its branch deleted or rewritten on the remote) is a rejection
      // like any other, counted against the budget, not an error retried forever.
      const missing = await headMissing(clone, a.head);
      if (missing) return reject(a, `${a.head.slice(0, 8)} of ${a.branch} cannot be fetched (the branch is gone from the remote or was rewritten)`, missing);
      const merged = await mergeOnto(clone, a.strategy, a.head, a.target, `Merge ${a.branch}: ${a.issueId} ${a.title}`);
      failpoint('merge:after-merge');
      if (!merged.ok) return reject(a, merged.reason, merged.detail);
      if (!a.skipTests && a.testCommand.length) {
        ctx.activity?.(`merge ${a.branch} into ${a.target}: testing (${a.testCommand.join(' ')})`, a.testTimeoutMs);
        const tests = await runTests(clone, a.testCommand, a.testTimeoutMs, store.testLog(name));
        // Shown only while the tests run: a rejection keeps its tail in the issue's attempts.
        await rm(store.testLog(name), { force: true });
        failpoint('merge:after-test');
        if (!tests.ok) return reject(a, `tests failed (${a.testCommand.join(' ')})`, tests.tail);
      }
      await store.setCurrent(name, {
        issueId: a.issueId,
        branch: a.branch,
        head: a.head,
        target: a.target,
        targetBefore,
        phase: 'pushing',
        mergeCommit: merged.commit,
        startedAt: new Date().toISOString(),
      });
      // One push updates the target and deletes the merged branch, the deletion leased on the
      // merged head: commits the polecat pushed since then are never deleted (and the target's
      // update does not depend on it).
      ctx.activity?.(`merge ${a.branch} into ${a.target}: pushing`, TRANSFER_TIMEOUT_MS);
      const push = await git(['push', '--porcelain', `--force-with-lease=refs/heads/${a.branch}:${a.head}`, 'origin', `HEAD:refs/heads/${a.target}`, `:refs/heads/${a.branch}`], {
        cwd: clone,
        timeoutMs: TRANSFER_TIMEOUT_MS,
      });
      const refs = pushedRefs(push.stdout);
      if (!refs.get(`refs/heads/${a.target}`)) {
        // A failed push may still have landed (a dropped connection after the server accepted
        // it): the record stays at "pushing", and recoverMerge asks the remote what happened.
        throw new Error(`push to ${a.target} failed (${push.stderr.trim().split('\n').pop() || 'timed out'}); the next pass checks the remote and finishes or merges again`);
      }
      failpoint('merge:after-push');
      // The test run may have left files behind: the clone goes back to exactly what was pushed.
      await git(['reset', '-q', '--hard'], { cwd: clone });
      await git(['clean', '-q', '-fd'], { cwd: clone });
      await store.setCurrent(name, {
        issueId: a.issueId,
        branch: a.branch,
        head: a.head,
        target: a.target,
        targetBefore,
        phase: 'pushed',
        mergeCommit: merged.commit,
        startedAt: new Date().toISOString(),
      });
      await finish(a.issueId, a.branch, undefined, merged.commit, a.target);
      const kept = refs.get(`refs/heads/${a.branch}`) ? '' : ` (branch ${a.branch} kept: it moved on the remote since ${a.head.slice(0, 8)})`;
      return `merged as ${merged.commit.slice(0, 8)}${kept}`;
    }
    case 'finishMerge':
      await finish(a.issueId, a.branch, a.head, a.commit, a.target);
      return;
    case 'recoverMerge': {
      const c = await store.current(name);
      if (!c) return;
      await git(['fetch', '-q', '--prune', 'origin'], { cwd: clone, timeoutMs: 10 * 60_000 });
      if (c.mergeCommit && (await isOnRemoteTarget(clone, c.mergeCommit, c.target))) {
        await resetToTarget(clone, c.target);
        await finish(c.issueId, c.branch, c.head, c.mergeCommit, c.target);
        return `it was pushed (${c.mergeCommit.slice(0, 8)}): finished`;
      }
      await resetToTarget(clone, c.target);
      await store.clearCurrent(name);
      return 'nothing was pushed: undone, the request stays queued';
    }
    case 'dropRequest':
      await store.remove(name, a.issueId);
      return;
    case 'askPlugin': {
      const r = request(a.issueId);
      if (!r) return;
      const msg = await ctx.services.mailbox(a.address).send({
        from: `${name}/refinery`,
        to: a.address,
        subject: `beforeMerge ${a.issueId}: ${r.branch}`,
        body: `May ${r.branch} (at ${r.head}) for ${a.issueId} be merged?\nAnswer with: gt mail send ${name}/refinery -s verdict --type reply --reply-to ID -m proceed   (or -m escalate)\nwhere ID is this message's id.`,
        type: 'task',
      });
      await store.put(name, { ...r, asked: { plugin: a.plugin, messageId: msg.id, at: msg.timestamp } });
      return;
    }
    case 'blockIssue': {
      const record = await attempts.get(name, a.issueId);
      if (!record) return;
      const issue = await tracker.get(a.issueId);
      // Repeated after a crash: the comment and the status are written once.
      if (issue && issue.status !== 'blocked') {
        await tracker.addComment(
          a.issueId,
          `${name}/refinery`,
          `Blocked: the merge queue rejected this branch ${a.rejections} times (the rig's mergeQueue.maxAttempts). Last: ${a.reason}\n\n${record.lastDetail}\n\nFix it by hand, then reopen the issue (or gt issues retry ${a.issueId}) for a fresh budget.`,
        );
        await tracker.update(a.issueId, { status: 'blocked' });
      }
      const worker = request(a.issueId)?.polecat;
      // The escalation target (a running mayor) hears of it, and the Overseer always: only a person decides.
      await sendEscalation(ctx.services, t.world.town?.manifest, {
        from: `${name}/refinery`,
        subject: `Blocked: ${a.issueId} (merge rejected ${a.rejections} times)`,
        body: `${a.issueId} "${issue?.title ?? ''}" in rig ${name} was rejected by the merge queue ${a.rejections} times; gt stopped sending it back${worker ? ` to polecat ${worker}` : ''}.\nLast: ${a.reason}\n\n${record.lastDetail}\n\nFix it by hand, then: gt issues retry ${a.issueId} --rig ${name}`,
        priority: 'high',
        forOverseer: true,
      });
      await attempts.put(name, { ...record, blockedAt: new Date().toISOString() });
      return 'blocked; the Overseer was told';
    }
    case 'forgetAttempts':
      await attempts.remove(name, a.issueId);
      return;
    case 'holdRequest': {
      const r = request(a.issueId);
      if (!r) return;
      await store.put(name, { ...r, failedHead: a.head, failure: a.why });
      await sendEscalation(ctx.services, t.world.town?.manifest, { from: `${name}/refinery`, subject: `Merge held: ${a.issueId}`, body: `${r.branch}: ${a.why}.`, priority: 'high' });
      return;
    }
  }

  /** A conflict or a red test: nothing pushed, the clone back on the remote target, the issue back to its polecat. */
  async function reject(a: Extract<RefineryAction, { type: 'merge' }>, reason: string, detail: string): Promise<string> {
    await resetToTarget(clone, a.target);
    const r = request(a.issueId);
    const assignee = r ? `${name}/polecats/${r.polecat}` : undefined;
    const tail = detail.split('\n').slice(-20).join('\n');
    const count = (await attempts.addRejection(name, a.issueId, a.head, reason, tail)).rejections.length;
    if (count >= a.maxAttempts) {
      // The last attempt: not sent back; the next pass blocks the issue (blockIssue) with this output.
      if (r) await store.put(name, { ...r, failedHead: a.head, failure: reason });
      await store.clearCurrent(name);
      return `rejected: ${reason} (attempt ${count} of ${a.maxAttempts}: the budget is spent)`;
    }
    await tracker.addComment(a.issueId, `${name}/refinery`, `Merge rejected (attempt ${count} of ${a.maxAttempts}): ${reason}\n\n${tail}`);
    await tracker.update(a.issueId, { status: 'open', ...(assignee ? { assignee } : {}) });
    if (assignee) {
      await ctx.services.mailbox(assignee).send({
        from: `${name}/refinery`,
        to: assignee,
        subject: `Merge rejected: ${a.issueId}`,
        body: `${reason}.\nYour branch ${a.branch} was not merged; bring it up to date with ${a.target} and fix it, push, then gt done.\n\n${tail}`,
        type: 'task',
        priority: 'high',
      });
    }
    if (r) await store.put(name, { ...r, failedHead: a.head, failure: reason });
    await store.clearCurrent(name);
    return `rejected: ${reason}`;
  }
}

/**
 * Which refs a `git push --porcelain` updated: one line per ref, `FLAG\tFROM:TO\tSUMMARY`, where
 * the flag is ' ' (fast-forward), '+' (forced), '-' (deleted), '*' (new), '=' (up to date) or
 * '!' (rejected).
 */
export function pushedRefs(porcelain: string): Map<string, boolean> {
  const refs = new Map<string, boolean>();
  for (const line of porcelain.split('\n')) {
    const m = /^([ +\-*=!])\t[^\t]*:([^\t]+)\t/.exec(line);
    if (m) refs.set(m[2]!, m[1] !== '!');
  }
  return refs;
}

/** Why `head` is not in the clone even after fetching it by id, or undefined when it is there. */
async function headMissing(clone: string, head: string): Promise<string | undefined> {
  if ((await git(['cat-file', '-e', `${head}^{commit}`], { cwd: clone })).exitCode === 0) return undefined;
  const r = await git(['fetch', '-q', 'origin', head], { cwd: clone, timeoutMs: 10 * 60_000 });
  if (r.exitCode === 0 && (await git(['cat-file', '-e', `${head}^{commit}`], { cwd: clone })).exitCode === 0) return undefined;
  return (r.stderr.trim() || `git fetch origin ${head} failed`).split('\n').slice(-5).join('\n');
}
