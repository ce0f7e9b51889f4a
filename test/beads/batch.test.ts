import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { beadsDir, removeTempDirs } from './support.js';

// The embedded tracker's batch: many changes, one rewrite of issues.jsonl, under one lock.

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(path.dirname(path.dirname(d)), { recursive: true, force: true });
  dirs = [];
});

async function fresh(fixture = true): Promise<{ dir: string; tracker: JsonlTracker; file: string }> {
  const dir = await beadsDir({ fixture });
  dirs.push(dir);
  return { dir, tracker: new JsonlTracker(dir, { prefix: 'gt' }), file: path.join(dir, 'issues.jsonl') };
}

afterAll(removeTempDirs);
describe('JsonlTracker.batch', () => {
  it('issues of equal priority created in one batch are offered in the order they were created, not by their random ids', async () => {
    const fixed = new Date('2026-11-30T10:00:00.000Z');
    const { dir } = await fresh(false);
    // A clock that stands still: every create of the batch falls in the same millisecond.
    const tracker = new JsonlTracker(dir, { prefix: 'gt', now: () => fixed });
    const titles = Array.from({ length: 12 }, (_, i) => `task ${i}`);
    await tracker.batch(async (tx) => {
      for (const title of titles) await tx.create({ title });
    });
    expect((await tracker.ready()).map((i) => i.title)).toEqual(titles);
  });

  it('creates, links and closes through tx with one write; tx reads its own changes, others see them only after', async () => {
    const { tracker, file } = await fresh();
    const before = await readFile(file, 'utf8');
    const inode = (await stat(file)).ino;
    const outside = new JsonlTracker(path.dirname(file), { prefix: 'gt' });
    const ids = await tracker.batch(async (tx) => {
      const epic = await tx.create({ title: 'Epic', type: 'epic' });
      const a = await tx.create({ title: 'A', parent: epic.id });
      const b = await tx.create({ title: 'B', parent: epic.id, blockedBy: [a.id] });
      await tx.addComment(b.id, 'overseer', 'note');
      await tx.close(a.id, 'done');
      expect((await tx.get(a.id))?.status).toBe('closed');
      expect((await tx.list()).map((i) => i.id)).toContain(b.id);
      // Nothing is written before the batch ends.
      expect(await readFile(file, 'utf8')).toBe(before);
      expect(await outside.get(epic.id)).toBeUndefined();
      return [epic.id, a.id, b.id];
    });
    const after = await readFile(file, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect((await stat(file)).ino).not.toBe(inode);
    expect(after.slice(before.length).trim().split('\n')).toHaveLength(3);
    const b = await outside.get(ids[2]!);
    expect(b?.dependencies.map((d) => [d.type, d.depends_on_id]).sort()).toEqual([
      ['blocks', ids[1]],
      ['parent-child', ids[0]],
    ]);
    expect((await outside.get(ids[1]!))?.status).toBe('closed');
  });

  it('writes what was done before a failure, as separate calls would have, and passes the error on', async () => {
    const { tracker, file } = await fresh(false);
    let made = '';
    await expect(
      tracker.batch(async (tx) => {
        made = (await tx.create({ title: 'kept' })).id;
        await tx.close('gt-nope', 'no such issue');
      }),
    ).rejects.toThrow(/gt-nope not found/);
    expect((await tracker.get(made))?.title).toBe('kept');
    expect(await readFile(file, 'utf8')).toContain('"title":"kept"');
    // The lock was released: a plain change goes through.
    await tracker.close(made, 'done');
    expect((await tracker.get(made))?.status).toBe('closed');
  });
});
