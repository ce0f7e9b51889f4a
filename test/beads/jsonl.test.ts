import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GtFailure } from '../../src/errors.js';
import { checkPrefix, newIssueId } from '../../src/beads/ids.js';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { beadsDir, GT_TIMESTAMP, removeTempDirs } from './support.js';

afterAll(removeTempDirs);

let clock = new Date('2026-06-01T12:00:00Z');
const tick = () => (clock = new Date(clock.getTime() + 1000));

async function tracker() {
  const dir = await beadsDir();
  return { dir, t: new JsonlTracker(dir, { prefix: 'gt', actor: 'mayor', now: () => clock }) };
}

async function records(dir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(dir, 'issues.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('JsonlTracker', () => {
  it('creates issues with hash ids, bd defaults and RFC 3339 times with fraction and offset', async () => {
    const { dir, t } = await tracker();
    const parent = await t.create({ title: 'Epic', type: 'epic', priority: 1 });
    const blocker = await t.create({ title: 'First' });
    tick();
    const child = await t.create({
      title: 'Second',
      description: 'does the thing',
      labels: ['cli'],
      assignee: 'polecat-2',
      externalRef: 'gh-12',
      parent: parent.id,
      blockedBy: [blocker.id, blocker.id],
    });
    expect(parent.id).toMatch(/^gt-[0-9a-z]{4,6}$/);
    expect(new Set([parent.id, blocker.id, child.id]).size).toBe(3);
    expect(blocker).toMatchObject({ status: 'open', priority: 2, issue_type: 'task', dependencies: [] });
    expect(blocker.created_at).toMatch(GT_TIMESTAMP);
    expect(child).toMatchObject({ description: 'does the thing', labels: ['cli'], assignee: 'polecat-2', external_ref: 'gh-12' });

    const written = (await records(dir))[2]!;
    expect(written.dependencies).toEqual([
      { issue_id: child.id, depends_on_id: parent.id, type: 'parent-child', created_at: child.created_at },
      { issue_id: child.id, depends_on_id: blocker.id, type: 'blocks', created_at: child.created_at },
    ]);
    expect(written).not.toHaveProperty('closed_at');
    expect((await t.ready()).map((i) => i.id)).toEqual([parent.id, blocker.id]);
  });

  it('refuses bad input before touching the file', async () => {
    const { t } = await tracker();
    await expect(t.create({ title: '  ' })).rejects.toThrow('an issue needs a title');
    await expect(t.create({ title: 'x', priority: 5 })).rejects.toThrow('priority must be an integer from 0');
    await expect(t.create({ title: 'x', labels: ['a,b'] })).rejects.toThrow('without commas');
    await expect(t.create({ title: 'x', parent: 'gt-nope' })).rejects.toThrow('issue gt-nope not found');
    await expect(t.update('gt-nope', { title: 'y' })).rejects.toMatchObject({ error: { kind: 'notFound' } });
    expect(await t.list()).toEqual([]);
  });

  it('claims a ready issue: status in_progress and assignee; again by the same agent is a no-op', async () => {
    const { t } = await tracker();
    const a = await t.create({ title: 'A' });
    tick();
    const claimed = await t.claim(a.id, 'polecat-1');
    expect(claimed).toMatchObject({ status: 'in_progress', assignee: 'polecat-1', updated_at: expect.stringMatching(GT_TIMESTAMP) as string });
    expect(claimed).not.toHaveProperty('closed_at');
    tick();
    expect(await t.claim(a.id, 'polecat-1')).toEqual(claimed);
    expect(await t.ready()).toEqual([]);
  });

  it('refuses a claim by someone else, on a blocked, deferred-parent or closed issue, with the reason', async () => {
    const { t } = await tracker();
    const a = await t.create({ title: 'A' });
    const b = await t.create({ title: 'B', blockedBy: [a.id] });
    await t.claim(a.id, 'polecat-1');
    await expect(t.claim(a.id, 'polecat-2')).rejects.toThrow(`cannot claim ${a.id}: already claimed by polecat-1 (status in_progress)`);
    await expect(t.claim(b.id, 'polecat-2')).rejects.toThrow(`cannot claim ${b.id}: ${b.id} is blocked by ${a.id} (in_progress)`);
    await t.close(a.id, 'done');
    await expect(t.claim(a.id, 'polecat-2')).rejects.toThrow(/already claimed by polecat-1/);
    const c = await t.create({ title: 'C' });
    await t.close(c.id, 'dup');
    await expect(t.claim(c.id, 'polecat-2')).rejects.toThrow(`cannot claim ${c.id}: ${c.id} is closed, not open`);
    await expect(t.claim('gt-none', 'polecat-2')).rejects.toBeInstanceOf(GtFailure);
    expect((await t.claim(b.id, 'polecat-2')).status).toBe('in_progress');
  });

  it('sets closed_at exactly when closed, and removes it (and the reason) on reopen, keeping the reason as a comment', async () => {
    const { t } = await tracker();
    const a = await t.create({ title: 'A', labels: ['x'] });
    tick();
    const closed = await t.close(a.id, 'shipped');
    expect(closed).toMatchObject({ status: 'closed', close_reason: 'shipped', closed_at: closed.updated_at });
    expect(closed.closed_at).toMatch(GT_TIMESTAMP);
    await expect(t.close(a.id, 'again')).rejects.toThrow(`cannot close ${a.id}: already closed at ${closed.closed_at}`);
    tick();
    const reopened = await t.reopen(a.id, 'regressed');
    expect(reopened.status).toBe('open');
    expect(reopened).not.toHaveProperty('closed_at');
    expect(reopened).not.toHaveProperty('close_reason');
    expect(reopened.comments).toEqual([{ id: expect.any(String) as string, issue_id: a.id, author: 'mayor', text: 'regressed', created_at: reopened.updated_at }]);
    await expect(t.reopen(a.id, 'twice')).rejects.toThrow(`cannot reopen ${a.id}: it is open, not closed`);
  });

  it('keeps closed_at in step with the status when update changes it', async () => {
    const { t } = await tracker();
    const a = await t.create({ title: 'A' });
    const closed = await t.update(a.id, { status: 'closed' });
    expect(closed.closed_at).toMatch(GT_TIMESTAMP);
    const blocked = await t.update(a.id, { status: 'blocked', assignee: 'polecat-3' });
    expect(blocked).toMatchObject({ status: 'blocked', assignee: 'polecat-3' });
    expect(blocked).not.toHaveProperty('closed_at');
    const cleared = await t.update(a.id, { assignee: null, labels: ['a', 'b'], description: 'd', title: 'A2', priority: 0 });
    expect(cleared).toMatchObject({ title: 'A2', description: 'd', priority: 0, labels: ['a', 'b'] });
    expect(cleared).not.toHaveProperty('assignee');
    await expect(t.update(a.id, { status: 'tombstone' })).rejects.toThrow('cannot be set');
  });

  it('adds comments and dependencies, refusing cycles and unknown issues', async () => {
    const { dir, t } = await tracker();
    const a = await t.create({ title: 'A' });
    const b = await t.create({ title: 'B' });
    const withComment = await t.addComment(a.id, 'polecat-1', 'line one\nline two');
    expect(withComment.comments).toEqual([
      { id: expect.any(String) as string, issue_id: a.id, author: 'polecat-1', text: 'line one\nline two', created_at: expect.stringMatching(GT_TIMESTAMP) as string },
    ]);
    const dep = await t.addDependency(b.id, a.id, 'blocks');
    expect(dep.dependencies).toEqual([{ issue_id: b.id, depends_on_id: a.id, type: 'blocks', created_at: expect.stringMatching(GT_TIMESTAMP) as string }]);
    expect(await t.addDependency(b.id, a.id, 'blocks')).toEqual(dep);
    await expect(t.addDependency(a.id, b.id, 'blocks')).rejects.toThrow('would close a dependency cycle');
    await expect(t.addDependency(a.id, a.id, 'blocks')).rejects.toThrow('cannot depend on itself');
    await expect(t.addDependency(a.id, 'gt-nope', 'related')).rejects.toThrow('issue gt-nope not found');
    expect((await t.addDependency(a.id, b.id, 'related')).dependencies[0]?.type).toBe('related');
    expect((await t.ready()).map((i) => i.id)).toEqual([a.id]);
    expect((await records(dir))[1]!.dependencies).toHaveLength(1);
  });

  it('lists with filters', async () => {
    const { t } = await tracker();
    const epic = await t.create({ title: 'E', type: 'epic' });
    const a = await t.create({ title: 'A', labels: ['ui'], parent: epic.id });
    const b = await t.create({ title: 'B', assignee: 'p1' });
    await t.close(b.id, 'done');
    const ids = async (f: Parameters<typeof t.list>[0]) => (await t.list(f)).map((i) => i.id);
    expect(await ids({})).toEqual([epic.id, a.id, b.id]);
    expect(await ids({ status: 'closed' })).toEqual([b.id]);
    expect(await ids({ status: ['open', 'in_progress'] })).toEqual([epic.id, a.id]);
    expect(await ids({ type: 'epic' })).toEqual([epic.id]);
    expect(await ids({ label: 'ui' })).toEqual([a.id]);
    expect(await ids({ assignee: 'p1' })).toEqual([b.id]);
    expect(await ids({ parent: epic.id })).toEqual([a.id]);
  });

  it('lengthens an id that is taken, up to 6 characters, and refuses odd prefixes', () => {
    const none = new Set<string>();
    expect(newIssueId('gt', 'x', clock, none)).toMatch(/^gt-[0-9a-z]{4}$/);
    const onlySixFree = { has: (id: string) => id.length < 'gt-'.length + 6 } as ReadonlySet<string>;
    expect(newIssueId('gt', 'x', clock, onlySixFree)).toMatch(/^gt-[0-9a-z]{6}$/);
    expect(newIssueId('my-app', 'x', clock, none)).toMatch(/^my-app-[0-9a-z]{4}$/);
    expect(() => checkPrefix('-x')).toThrow('must be letters, digits');
    expect(() => checkPrefix('a b')).toThrow('must be letters, digits');
  });
});
