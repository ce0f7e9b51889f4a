import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { MergeTown, type Prepared } from './support/merge.js';
import { exists } from './support/town.js';

/*
 * The merge queue (refinery controller) end to end: real git, the compiled CLI, a suspended rig
 * (no polecats, no tmux) and merge requests prepared by hand exactly as the worker pool writes
 * them. The remote's post-receive hook runs the toy tests on every commit pushed to main.
 */

const towns: MergeTown[] = [];
async function town(opts: Parameters<typeof MergeTown.create>[0] = {}): Promise<MergeTown> {
  const t = await MergeTown.create(opts);
  towns.push(t);
  return t;
}
afterAll(async () => {
  await Promise.all(towns.map((t) => t.dispose()));
});

function expectRefineryClean(t: MergeTown): void {
  const s = t.refineryState();
  expect(s, 'the refinery clone').toMatchObject({ porcelain: '', branch: 'main', inProgress: [] });
  expect(s.head, 'refinery HEAD is the remote main').toBe(s.remoteMain);
  expect(s.originMain, 'refinery origin/main is the remote main').toBe(s.remoteMain);
}

/** Every commit ever pushed to main passed the tests, and so does main now. */
async function expectMainAlwaysGreen(t: MergeTown): Promise<void> {
  const pushes = await t.pushes();
  expect(
    pushes.filter((p) => p.testExit !== 0),
    'pushes to main whose tests failed',
  ).toEqual([]);
  expect(t.mainPassesTests()).toBe(true);
}

/** Everything a finished merge leaves behind; returns the commit named in the close reason. */
async function expectMerged(t: MergeTown, p: Prepared): Promise<string> {
  const issue = await t.issue(p.issueId);
  expect(issue.status).toBe('closed');
  const m = /^merged into main as ([0-9a-f]{40})$/.exec(issue.close_reason ?? '');
  expect(m, `close_reason: ${issue.close_reason}`).toBeTruthy();
  const sha = m![1]!;
  expect(t.isAncestor(sha, 'main'), 'the close reason names a commit on main').toBe(true);
  expect(t.remoteBranches(), 'the branch is deleted on the remote').not.toContain(p.branch);
  expect(await t.request(p.issueId), 'the request file is removed').toBeUndefined();
  expect(await exists(t.currentFile), '_current.json').toBe(false);
  expectRefineryClean(t);
  await expectMainAlwaysGreen(t);
  return sha;
}

/** The branch went back to its polecat: nothing on main, issue open and still assigned, comment and mail. */
async function expectRejected(t: MergeTown, p: Prepared, reason: string | RegExp, tail?: string): Promise<void> {
  expect(t.isAncestor(p.head, 'main'), 'the rejected head is not on main').toBe(false);
  const issue = await t.issue(p.issueId);
  expect(issue.status).toBe('open');
  expect(issue.assignee).toBe(`wyvern/polecats/${p.polecat}`);
  const comment = issue.comments?.find((c) => c.text.includes('Merge rejected'));
  expect(comment, JSON.stringify(issue.comments)).toBeDefined();
  expect(comment!.text).toMatch(reason);
  if (tail) expect(comment!.text).toContain(tail);
  const mail = (await t.mail(`wyvern/polecats/${p.polecat}`)).filter((x) => x.subject === `Merge rejected: ${p.issueId}`);
  expect(mail).toHaveLength(1);
  expect(mail[0]!.body).toMatch(reason);
  if (tail) expect(mail[0]!.body).toContain(tail);
  const request = await t.request(p.issueId);
  expect(request?.failedHead, 'the request remembers the failed head').toBe(p.head);
  expect(t.remoteBranches(), 'the rejected branch is kept').toContain(p.branch);
  expect(await exists(t.currentFile), '_current.json').toBe(false);
  expectRefineryClean(t);
  await expectMainAlwaysGreen(t);
}

describe('each merge strategy produces the expected history on the remote', () => {
  it('ff-only: main becomes the branch head, history stays linear; a branch behind main goes back', async () => {
    const t = await town({ strategy: 'ff-only' });
    const before = t.remoteMain();
    const a = await t.prepare(await t.createIssue('ff work'), 'nux', { 'a.txt': 'a\n' });
    // Based on the old main: not a fast-forward once `a` is in.
    const b = await t.prepare(await t.createIssue('ff behind', 3), 'slit', { 'b.txt': 'b\n' });
    await t.once();
    expect(t.remoteMain()).toBe(a.head);
    expect(await expectMerged(t, a)).toBe(a.head);
    expect(t.mainCommits().map((c) => c.parents.length)).toEqual([1, 0]);
    expect(t.mainCommits()[0]!.parents).toEqual([before]);
    await expectRejected(t, b, /not a fast-forward of main/);
  });

  it('merge: one merge commit whose parents are the old main and the branch head; gt diff shows it planned first', async () => {
    const t = await town({ strategy: 'merge' });
    const before = t.remoteMain();
    const p = await t.prepare(await t.createIssue('merge work'), 'nux', { 'a.txt': 'a\n' });
    const diff = await t.gt(['diff']);
    expect(diff.code, diff.stderr).toBe(1);
    expect(diff.stdout).toContain(`~ merge ${p.issueId} (${p.branch} at ${p.head.slice(0, 8)}) into main by merge, then test: node test.js`);
    // gt diff acts on nothing.
    expect(t.remoteMain()).toBe(before);
    expect(await t.request(p.issueId)).toBeDefined();

    const out = await t.once();
    expect(out).toContain(`merge ${p.issueId}`);
    const sha = await expectMerged(t, p);
    expect((await t.issueViaCli(p.issueId)).close_reason).toBe(`merged into main as ${sha}`);
    const tip = t.mainCommits()[0]!;
    expect(tip.sha).toBe(sha);
    expect(tip.sha).toBe(t.remoteMain());
    expect(tip.parents).toEqual([before, p.head]);
    expect(tip.subject).toContain(p.branch);
    expect(t.showOnMain('a.txt')).toBe('a');

    const after = await t.gt(['diff']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).not.toContain(`merge ${p.issueId}`);
  });

  it('squash: one new single-parent commit with the branch tree; the branch head is not an ancestor', async () => {
    const t = await town({ strategy: 'squash' });
    const before = t.remoteMain();
    const id = await t.createIssue('squash work');
    const first = await t.prepare(id, 'nux', { 'a.txt': 'a\n' });
    // A second commit on the branch: both become one.
    const head = await t.commitAndPush(first.branch, { 'a2.txt': 'a2\n' }, { from: `origin/${first.branch}` });
    const p = { ...first, head };
    await t.writeRequest({ issueId: id, branch: p.branch, head, polecat: 'nux', readyAt: new Date().toISOString() });
    await t.once();
    const sha = await expectMerged(t, p);
    const commits = t.mainCommits();
    expect(commits).toHaveLength(2);
    expect(commits[0]!.sha).toBe(sha);
    expect(commits[0]!.parents).toEqual([before]);
    expect(t.isAncestor(head, 'main')).toBe(false);
    expect(t.isAncestor(first.head, 'main')).toBe(false);
    expect(t.remote(['rev-parse', 'main^{tree}'])).toBe(t.remote([`rev-parse`, `${head}^{tree}`]));
  });

  it('rebase: linear; the branch commits replayed on top of a main that moved, not the original shas', async () => {
    const t = await town({ strategy: 'rebase' });
    const id = await t.createIssue('rebase work');
    const first = await t.prepare(id, 'nux', { 'a.txt': 'a\n' });
    const head = await t.commitAndPush(first.branch, { 'a2.txt': 'a2\n' }, { from: `origin/${first.branch}`, message: 'second on the branch' });
    const p = { ...first, head };
    await t.writeRequest({ issueId: id, branch: p.branch, head, polecat: 'nux', readyAt: new Date().toISOString() });
    // main moves on after the branch was cut.
    const moved = await t.commitAndPush('main', { 'other.txt': 'other\n' }, { message: 'main moved' });
    await t.once();
    const sha = await expectMerged(t, p);
    const commits = t.mainCommits();
    expect(
      commits.every((c) => c.parents.length <= 1),
      'linear',
    ).toBe(true);
    expect(commits.map((c) => c.subject)).toEqual(['second on the branch', `change a.txt on ${p.branch}`, 'main moved', 'initial']);
    expect(commits[0]!.sha).toBe(sha);
    expect(commits[2]!.sha).toBe(moved);
    expect(commits[0]!.sha).not.toBe(head);
    expect(commits[1]!.sha).not.toBe(first.head);
    expect(t.isAncestor(head, 'main')).toBe(false);
    expect(t.showOnMain('a2.txt')).toBe('a2');
    expect(t.showOnMain('other.txt')).toBe('other');
  });
});

describe('queue order', () => {
  it('the higher-priority issue merges first even when it became ready later; then the older request', async () => {
    const t = await town({ strategy: 'merge' });
    const now = Date.now();
    const low = await t.prepare(await t.createIssue('low', 3), 'nux', { 'low.txt': 'low\n' }, { readyAt: new Date(now - 60_000).toISOString() });
    const lowLater = await t.prepare(await t.createIssue('low later', 3), 'slit', { 'low2.txt': 'low2\n' }, { readyAt: new Date(now - 30_000).toISOString() });
    const high = await t.prepare(await t.createIssue('high', 1), 'furiosa', { 'high.txt': 'high\n' }, { readyAt: new Date(now).toISOString() });
    const diff = await t.gt(['diff']);
    expect(diff.stdout).toContain(`merge ${high.issueId}`);
    expect(diff.stdout).not.toContain(`merge ${low.issueId}`);
    // One pass merges one request; --once repeats passes until nothing changes.
    await t.once();
    const pushed = (await t.pushes()).map((x) => t.remote(['rev-parse', `${x.sha}^2`]));
    expect(pushed).toEqual([high.head, low.head, lowLater.head]);
    for (const p of [high, low, lowLater]) await expectMerged(t, p);
  });
});

describe('a red test or a conflict goes back to its polecat and does not block the queue', () => {
  it('red tests: the next request merges, the failed head is not retried, a new commit is', async () => {
    const t = await town({ strategy: 'merge' });
    const red = await t.prepare(await t.createIssue('makes tests red', 1), 'nux', { 'status.txt': 'red\n', 'a.txt': 'a\n' });
    const fine = await t.prepare(await t.createIssue('fine', 2), 'slit', { 'b.txt': 'b\n' });
    await t.once();
    await expectMerged(t, fine);
    await expectRejected(t, red, /tests failed \(node test\.js\)/, 'TESTS RED: status.txt says red');
    expect(t.showOnMain('status.txt')).toBe('green');
    // The same, seen through the CLI.
    const inbox = await t.mailViaCli(`wyvern/polecats/${red.polecat}`);
    expect(inbox.map((m) => m.subject)).toEqual([`Merge rejected: ${red.issueId}`]);
    expect(inbox[0]!.body).toContain('TESTS RED: status.txt says red');
    const shown = await t.issueViaCli(red.issueId);
    expect(shown).toMatchObject({ status: 'open', assignee: `wyvern/polecats/${red.polecat}` });
    expect(shown.comments?.some((c) => c.text.includes('Merge rejected') && c.text.includes('TESTS RED'))).toBe(true);

    // Not retried: the same head stays out of the queue.
    const main = t.remoteMain();
    const comments = (await t.issue(red.issueId)).comments?.length;
    const diff = await t.gt(['diff']);
    expect(diff.code, diff.stdout).toBe(0);
    expect(diff.stdout).not.toContain(`merge ${red.issueId}`);
    const out = await t.once();
    expect(out).not.toContain(`merge ${red.issueId}`);
    expect(t.remoteMain()).toBe(main);
    expect((await t.issue(red.issueId)).comments?.length).toBe(comments);
    expect(await t.mail(`wyvern/polecats/${red.polecat}`)).toHaveLength(1);

    // The polecat pushes a fix; the request gets the new head (its failure record is kept as it was).
    const fixed = await t.commitAndPush(red.branch, { 'status.txt': 'green\n' }, { from: `origin/${red.branch}` });
    const request = (await t.request(red.issueId))!;
    await t.writeRequest({ ...request, head: fixed });
    const diff2 = await t.gt(['diff']);
    expect(diff2.code).toBe(1);
    expect(diff2.stdout).toContain(`~ merge ${red.issueId} (${red.branch} at ${fixed.slice(0, 8)})`);
    await t.once();
    await expectMerged(t, { ...red, head: fixed });
    expect(t.isAncestor(fixed, 'main')).toBe(true);
    expect(t.showOnMain('a.txt')).toBe('a');
    expect(t.showOnMain('status.txt')).toBe('green');
  });

  it('tests run on the merge result: two branches green alone, red together; the second goes back', async () => {
    const t = await town({ strategy: 'merge' });
    const left = await t.prepare(await t.createIssue('left', 1), 'nux', { 'left.txt': 'left\n' });
    const right = await t.prepare(await t.createIssue('right', 2), 'slit', { 'right.txt': 'right\n' });
    await t.once();
    await expectMerged(t, left);
    await expectRejected(t, right, /tests failed \(node test\.js\)/, 'TESTS RED: left.txt and right.txt together');
  });

  it('a head that can never be fetched (its branch deleted, the commit gone) is a rejection counted against the budget, not an error retried forever', async () => {
    const t = await town({ strategy: 'rebase', rigExtra: '    maxAttempts: 1\n' });
    const gone = await t.prepare(await t.createIssue('branch deleted', 1), 'nux', { 'gone.txt': 'gone\n' });
    const fine = await t.prepare(await t.createIssue('fine', 2), 'slit', { 'b.txt': 'b\n' });
    t.remote(['update-ref', '-d', `refs/heads/${gone.branch}`]);
    t.remote(['reflog', 'expire', '--expire=now', '--all']);
    t.remote(['gc', '-q', '--prune=now']);
    await t.once();
    await expectMerged(t, fine);
    const issue = await t.issue(gone.issueId);
    expect(issue.status).toBe('blocked');
    expect(issue.comments?.find((c) => c.text.startsWith('Blocked:'))?.text).toContain(`${gone.head.slice(0, 8)} of ${gone.branch} cannot be fetched`);
    expect(await exists(t.currentFile), '_current.json').toBe(false);
    expectRefineryClean(t);
    const diff = await t.gt(['diff']);
    expect(diff.stdout).toContain('IssueBlocked');
    expect(diff.stdout).not.toContain(`merge ${gone.issueId}`);
  });

  it('a conflict: the second branch goes back with "merge conflict in <file>", the one after it still merges', async () => {
    const t = await town({ strategy: 'merge' });
    const first = await t.prepare(await t.createIssue('edit line two', 1), 'nux', { 'shared.txt': 'line one\nline TWO by nux\nline three\n' });
    const second = await t.prepare(await t.createIssue('edit line two too', 2), 'slit', { 'shared.txt': 'line one\nline 2 by slit\nline three\n' });
    const third = await t.prepare(await t.createIssue('unrelated', 3), 'furiosa', { 'c.txt': 'c\n' });
    await t.once();
    await expectMerged(t, first);
    await expectMerged(t, third);
    await expectRejected(t, second, /merge conflict in shared\.txt/);
    expect(t.showOnMain('shared.txt')).toBe('line one\nline TWO by nux\nline three');

    // Brought up to date with main (conflict resolved in its favour) and pushed: merged.
    const { git } = await import('./support/town.js');
    git(['fetch', '-q', 'origin'], t.work);
    git(['checkout', '-q', '-f', '-B', second.branch, `origin/${second.branch}`], t.work);
    git(['merge', '-q', '-X', 'ours', '-m', 'merge main', 'origin/main'], t.work);
    git(['push', '-q', 'origin', `HEAD:refs/heads/${second.branch}`], t.work);
    const fixed = git(['rev-parse', 'HEAD'], t.work).trim();
    await t.writeRequest({ ...(await t.request(second.issueId))!, head: fixed });
    await t.once();
    await expectMerged(t, { ...second, head: fixed });
    expect(t.showOnMain('shared.txt')).toBe('line one\nline 2 by slit\nline three');
  });
});

describe('a test run that hangs', () => {
  it('is stopped at testTimeout (with the processes it started) and goes back; the queue goes on', async () => {
    const t = await town({ strategy: 'merge', testTimeout: '2s' });
    const hang = await t.prepare(await t.createIssue('hangs the tests', 1), 'nux', { 'status.txt': 'hang\n' });
    const fine = await t.prepare(await t.createIssue('fine', 2), 'slit', { 'b.txt': 'b\n' });
    const started = Date.now();
    await t.once();
    const took = Date.now() - started;
    await expectRejected(t, hang, /tests failed \(node test\.js\)/, 'timed out after 2s');
    await expectMerged(t, fine);
    // The helper keeps the test's output open for 20 s: waiting for it would be waiting for the hang.
    expect(took, 'gt run --once waited for the hung test beyond testTimeout').toBeLessThan(15_000);
  });
});

describe('the refinery clone after a merge', () => {
  it('is clean even when the test command leaves files behind (a report, a cache)', async () => {
    const t = await town({ strategy: 'merge' });
    const p = await t.prepare(await t.createIssue('the tests now write a report'), 'nux', { 'write-report': 'yes\n' });
    await t.once();
    expect(t.isAncestor(p.head, 'main')).toBe(true);
    await expectMerged(t, p);
  });
});

/*
 * Crash safety: gt is SIGKILLed at each step of a merge (GT_FAILPOINT); the next pass must find
 * the truth from git and beads and finish or undo, never merge twice, never leave the clone dirty.
 * One town, worked case after case (each on its own files); the strategy is changed by re-applying.
 */
describe('crash safety: killed at each step of a merge, the next pass finishes or undoes it', () => {
  let t: MergeTown;
  let root: string;
  let n = 0;
  beforeAll(async () => {
    t = await town({ strategy: 'merge' });
    root = t.remoteMain();
  });

  async function useStrategy(strategy: string): Promise<void> {
    await t.writeManifest({ strategy });
    const a = await t.gt(['apply', '-f', 'town.yaml']);
    expect(a.code, a.stderr).toBe(0);
  }

  /** Commits on main that carry this branch's merge (the refinery's message names the branch). */
  const mergesOf = (p: Prepared) => t.mainCommits().filter((c) => c.subject.startsWith(`Merge ${p.branch}:`));

  /** Runs one pass that dies at `failpoint`; checks what it left: the intent record and the queue's key lock. */
  async function crash(failpoint: string, p: Prepared, phase: string) {
    const r = await t.gt(['run', '--once'], { GT_FAILPOINT: failpoint });
    expect(r.signal, `${r.code} ${r.stdout} ${r.stderr}`).toBe('SIGKILL');
    const current = await t.current();
    expect(current).toMatchObject({ issueId: p.issueId, phase });
    const diff = await t.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain(`recover the merge of ${p.issueId} interrupted while ${phase}`);
    return { current: current!, pid: r.pid };
  }

  /** One normal pass: takes over the dead pass's lock, recovers, and ends with exactly one merge. */
  async function recover(p: Prepared, pushesBefore: number, strategy: string, deadPid: number): Promise<string> {
    const lock = JSON.parse(await readFile(t.lockFile, 'utf8')) as { pid: number };
    expect(lock.pid, 'the killed pass left its lock behind').toBe(deadPid);
    // --lock-timeout 2s: were the dead holder's lock not taken over, this would exit 3.
    const out = await t.once();
    expect(out).toContain(`recover the merge of ${p.issueId}`);
    expect(await exists(t.lockFile), 'the lock is released').toBe(false);
    const sha = await expectMerged(t, p);
    expect(await t.pushes(), 'exactly one push to main for this merge').toHaveLength(pushesBefore + 1);
    expect(mergesOf(p), 'merged exactly once').toHaveLength(1);
    if (strategy === 'merge')
      expect(
        t.mainCommits().filter((c) => c.parents[1] === p.head),
        'one merge commit of the head',
      ).toHaveLength(1);
    return sha;
  }

  it.each([
    ['merge:after-merge', 'merging'],
    ['merge:after-test', 'merging'],
  ])('killed at %s (phase %s): nothing was pushed; undone, then merged once', async (failpoint, phase) => {
    const p = await t.prepare(await t.createIssue(`crash ${failpoint}`), 'nux', { [`crash-${++n}.txt`]: `${failpoint}\n` });
    const main = t.remoteMain();
    const pushes = (await t.pushes()).length;
    const { pid } = await crash(failpoint, p, phase);
    expect(t.remoteMain(), 'nothing pushed before the crash').toBe(main);
    expect((await t.issue(p.issueId)).status).toBe('in_progress');
    await recover(p, pushes, 'merge', pid);
  });

  it.each(['merge', 'squash'])('killed at merge:after-push (%s): the push is found on the remote and finished, not merged again', async (strategy) => {
    if (strategy !== 'merge') await useStrategy(strategy);
    const p = await t.prepare(await t.createIssue(`crash after push ${strategy}`), 'nux', { [`crash-${++n}.txt`]: 'after push\n' });
    const pushes = (await t.pushes()).length;
    const { current, pid } = await crash('merge:after-push', p, 'pushing');
    expect(current.mergeCommit).toBeDefined();
    expect(t.remoteMain(), 'the merge reached the remote').toBe(current.mergeCommit);
    expect((await t.issue(p.issueId)).status).toBe('in_progress');
    expect(t.remoteBranches(), 'the same push deleted the merged branch').not.toContain(p.branch);
    expect(await t.request(p.issueId)).toBeDefined();
    const sha = await recover(p, pushes, strategy, pid);
    expect(sha).toBe(current.mergeCommit);
    expect(t.remoteMain()).toBe(current.mergeCommit);
  });

  it.each(['merge', 'rebase'])('%s: killed with a conflicted merge in the refinery clone: cleaned up, the branch goes back', async (strategy) => {
    await useStrategy(strategy);
    // main changes line two; the branch, cut from the first commit, changes it too.
    await t.commitAndPush('main', { 'shared.txt': `line one\nline TWO on main ${strategy}\nline three\n` });
    const p = await t.prepare(await t.createIssue(`conflicting ${strategy}`), 'slit', { 'shared.txt': `line one\nline 2 ${strategy}\nline three\n` }, { from: root });
    const main = t.remoteMain();
    const r = await t.gt(['run', '--once'], { GT_FAILPOINT: 'merge:after-merge' });
    expect(r.signal).toBe('SIGKILL');
    expect(await t.current()).toMatchObject({ issueId: p.issueId, phase: 'merging' });
    const s = t.refineryState();
    expect(s.porcelain !== '' && s.inProgress.length > 0, `the kill left a conflicted ${strategy} behind: ${JSON.stringify(s)}`).toBe(true);
    await t.once();
    expect(t.remoteMain()).toBe(main);
    await expectRejected(t, p, /merge conflict in shared\.txt/);
  });
});

describe('beforeMerge plugin', () => {
  it('asks, waits for the verdict, merges on proceed; without an answer the default verdict (escalate) holds it', async () => {
    const t = await town({
      strategy: 'merge',
      extraManifests: `apiVersion: gastown.dev/v1alpha1
kind: Plugin
metadata:
  name: reviewer
spec:
  rig: wyvern
  instructions: check
  hooks: [beforeMerge]
  timeout: 2s
  defaultVerdict: escalate
  agent:
    command: ["gt-test-no-such-agent"]
`,
    });
    const main = t.remoteMain();
    const p = await t.prepare(await t.createIssue('reviewed'), 'nux', { 'a.txt': 'a\n' });
    const out = await t.once();
    expect(out).toContain(`ask plugin reviewer before merging ${p.issueId}`);
    const questions = await t.mail('wyvern/plugins/reviewer');
    expect(questions).toHaveLength(1);
    expect(questions[0]!.subject).toBe(`beforeMerge ${p.issueId}: ${p.branch}`);
    expect(t.remoteMain(), 'not merged before the verdict').toBe(main);
    expect((await t.issue(p.issueId)).status).toBe('in_progress');
    expect((await t.request(p.issueId))?.asked?.messageId).toBe(questions[0]!.id);

    const sent = await t.gt(['mail', 'send', 'wyvern/refinery', '-s', 'verdict', '--type', 'reply', '--reply-to', questions[0]!.id, '-m', 'proceed', '--from', 'wyvern/plugins/reviewer']);
    expect(sent.code, sent.stderr).toBe(0);
    await t.once();
    await expectMerged(t, p);
    expect(t.mainCommits()[0]!.parents[1]).toBe(p.head);

    // No answer within the timeout: escalate holds it.
    const q = await t.prepare(await t.createIssue('never answered'), 'slit', { 'b.txt': 'b\n' });
    await t.once();
    expect((await t.mail('wyvern/plugins/reviewer')).filter((m) => m.subject.startsWith(`beforeMerge ${q.issueId}`))).toHaveLength(1);
    const held = t.remoteMain();
    // The plugin's 2 s timeout passes on gt's clock.
    const out2 = await t.once(2100);
    expect(out2).toContain(`hold ${q.issueId}`);
    expect(t.remoteMain()).toBe(held);
    expect(t.isAncestor(q.head, 'main')).toBe(false);
    const escalations = (await t.mail('mayor')).filter((m) => m.subject === `Merge held: ${q.issueId}`);
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.type).toBe('escalation');
    expect(escalations[0]!.body).toContain('reviewer');
    expect((await t.request(q.issueId))?.failedHead).toBe(q.head);
    // Held, not retried: nothing is planned but the plugin's session, whose agent is not
    // installed: it is never started (the questions wait in its inbox), and says so.
    const diff = await t.gt(['diff']);
    expect(diff.stdout.trim().split('\n')).toEqual([
      'Plugin/reviewer:',
      expect.stringMatching(/^ {2}! AgentCommandMissing: agent command "gt-test-no-such-agent" was not found/),
      'Plan: 0 to create, 0 to change, 0 to remove, 1 waiting on you.',
    ]);
    expectRefineryClean(t);
  });
});
