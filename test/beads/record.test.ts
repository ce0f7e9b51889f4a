import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GtFailure } from '../../src/errors.js';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { parseBeadsFile } from '../../src/beads/jsonl-file.js';
import { readyIssues } from '../../src/beads/ready.js';
import { timestampMs } from '../../src/beads/time.js';
import { beadsDir, FIXTURE, GT_TIMESTAMP, removeTempDirs } from './support.js';

afterAll(removeTempDirs);

const NOW = new Date('2026-01-01T00:00:00Z');

async function fixtureTracker() {
  const dir = await beadsDir({ fixture: true });
  const file = path.join(dir, 'issues.jsonl');
  return { dir, file, tracker: new JsonlTracker(dir, { prefix: 'gt', now: () => NOW }), before: await readFile(file, 'utf8') };
}

const linesOf = (text: string) => text.split('\n');

describe('reading files bd wrote over its history', () => {
  it('keeps issues with and without _type, and skips the _schema header, memories, tombstones and blank lines', async () => {
    const { tracker } = await fixtureTracker();
    const ids = (await tracker.list()).map((i) => i.id);
    expect(ids).toEqual(['gt-a1', 'gt-b2', 'gt-epic', 'gt-c3', 'gt-w4', 'gt-d5', 'gt-e6', 'gt-f7', 'gt-g8']);
    expect(await tracker.get('gt-dead')).toBeUndefined();
  });

  it('reads a legacy record into the typed view, numeric comment ids included', async () => {
    const { tracker } = await fixtureTracker();
    expect(await tracker.get('gt-a1')).toEqual({
      id: 'gt-a1',
      title: 'Legacy line without _type',
      description: 'Written by bd 0.2x: no _type, integer comment ids, nanosecond timestamps.',
      status: 'open',
      priority: 1,
      issue_type: 'feature',
      labels: ['backend', 'p-high'],
      created_at: '2025-10-14T09:12:33.123456789-07:00',
      updated_at: '2025-10-15T11:00:00.5-07:00',
      dependencies: [{ issue_id: 'gt-a1', depends_on_id: 'gt-b2', type: 'blocks', created_at: '2025-10-14T09:13:00.000000001-07:00' }],
      comments: [
        { id: '1', issue_id: 'gt-a1', author: 'alice', text: 'first', created_at: '2025-10-14T09:20:00-07:00' },
        { id: '2', issue_id: 'gt-a1', author: 'bob', text: 'second', created_at: '2025-10-14T09:21:00Z' },
      ],
    });
  });

  it('reads string comment ids, Go-escaped text and every dependency type', async () => {
    const { tracker } = await fixtureTracker();
    const b2 = (await tracker.get('gt-b2'))!;
    expect(b2.title).toBe('Fix <div> & friends');
    expect(b2.comments?.[0]?.id).toBe('0194f5b2-7c1e-7a3b-9a55-3c2f1d0e9b8a');
    const c3 = (await tracker.get('gt-c3'))!;
    expect(c3.dependencies.map((d) => d.type)).toEqual(['parent-child', 'conditional-blocks', 'related', 'discovered-from']);
    expect((await tracker.get('gt-w4'))!.dependencies[0]).toMatchObject({ type: 'waits-for', metadata: '{"gate":"all-children"}' });
    expect((await tracker.get('gt-d5'))!).toMatchObject({ status: 'closed', closed_at: '2025-08-02T00:00:00Z', close_reason: 'shipped' });
    expect((await tracker.get('gt-e6'))!.defer_until).toBe('2099-01-01T00:00:00Z');
  });

  it('reads timestamps with and without fractions and offsets, SQLite style included', () => {
    const utc = Date.UTC(2025, 10, 2, 8, 15, 0);
    expect(timestampMs('2025-11-02T08:15:00Z')).toBe(utc);
    expect(timestampMs('2025-11-02T08:15:00')).toBe(utc);
    expect(timestampMs('2025-11-02 08:15:00.5')).toBe(utc + 500);
    expect(timestampMs('2025-11-02T09:15:00.000+01:00')).toBe(utc);
    expect(timestampMs('2025-11-02T01:15:00.123456789-07:00')).toBe(utc + 123);
    expect(timestampMs('yesterday')).toBeNaN();
  });

  it('computes ready work on the fixture as bd would', async () => {
    const { tracker } = await fixtureTracker();
    // a1 and c3 wait on b2 (in progress), w4 on the epic's open child, e6 is deferred, d5 closed.
    expect((await tracker.ready()).map((i) => i.id)).toEqual(['gt-f7', 'gt-g8', 'gt-epic']);
    expect(readyIssues(await tracker.list(), NOW).map((i) => i.id)).toEqual(['gt-f7', 'gt-g8', 'gt-epic']);
  });
});

describe('rewriting a file gt shares with bd', () => {
  it('changes only the mutated line; every other line keeps its bytes and order', async () => {
    const { file, tracker, before } = await fixtureTracker();
    await tracker.update('gt-a1', { title: 'Renamed', priority: 3 });
    const after = linesOf(await readFile(file, 'utf8'));
    const old = linesOf(before);
    expect(after).toHaveLength(old.length);
    for (const [i, line] of old.entries()) if (i !== 1) expect(after[i], `line ${i + 1}`).toBe(line);

    const was = JSON.parse(old[1]!) as Record<string, unknown>;
    const now = JSON.parse(after[1]!) as Record<string, unknown>;
    expect(Object.keys(now)).toEqual(Object.keys(was));
    expect(now).toEqual({ ...was, title: 'Renamed', priority: 3, updated_at: now.updated_at });
    expect(now.updated_at).toMatch(GT_TIMESTAMP);
  });

  it('keeps unknown fields of a closed and reopened issue, and drops closed_at again', async () => {
    const { file, tracker, before } = await fixtureTracker();
    await tracker.close('gt-epic', 'done');
    await tracker.reopen('gt-epic', 'not done');
    const line = linesOf(await readFile(file, 'utf8'))[5]!;
    const was = JSON.parse(linesOf(before)[5]!) as Record<string, unknown>;
    const now = JSON.parse(line) as Record<string, unknown>;
    expect(now.metadata).toEqual(was.metadata);
    expect(now.pinned).toBe(false);
    expect(now).not.toHaveProperty('closed_at');
    expect(now).not.toHaveProperty('close_reason');
    expect(now.status).toBe('open');
  });

  it('appends a new issue in the file own convention (with _type here) and leaves the rest alone', async () => {
    const { file, tracker, before } = await fixtureTracker();
    const created = await tracker.create({ title: 'New one' });
    const text = await readFile(file, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    const added = JSON.parse(linesOf(text).at(-2)!) as Record<string, unknown>;
    expect(added).toMatchObject({ _type: 'issue', id: created.id, title: 'New one', status: 'open', priority: 2, issue_type: 'task' });
    expect(Object.keys(added)[0]).toBe('_type');
  });

  it('writes new issues without _type into a file whose issues have none', async () => {
    const dir = await beadsDir();
    const file = path.join(dir, 'issues.jsonl');
    await writeFile(file, '{"id":"gt-old","title":"old","status":"open","priority":2,"issue_type":"task","created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}');
    await new JsonlTracker(dir, { prefix: 'gt' }).create({ title: 'next' });
    const lines = linesOf(await readFile(file, 'utf8'));
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('_type');
  });

  it('refuses to rewrite a line holding an integer beyond 2^53, rather than change it', async () => {
    const { file, tracker, before } = await fixtureTracker();
    await expect(tracker.close('gt-f7', 'x')).rejects.toThrow(/issues\.jsonl:11: issue gt-f7 holds an integer too large/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});

describe('a file that does not parse', () => {
  it('is reported with file and line numbers, and never written', async () => {
    const dir = await beadsDir({ fixture: true });
    const file = path.join(dir, 'issues.jsonl');
    const lines = linesOf(await readFile(FIXTURE, 'utf8'));
    lines.splice(3, 0, '{"id":"gt-half","title":"torn', '[1,2]');
    const broken = lines.join('\n');
    await writeFile(file, broken);
    const mtime = (await stat(file)).mtimeMs;
    const tracker = new JsonlTracker(dir, { prefix: 'gt' });

    const err = await tracker.create({ title: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GtFailure);
    expect((err as Error).message).toContain(`${file}:4:1: not valid JSON`);
    expect((err as Error).message).toContain(`${file}:5:1: not a JSON object`);
    await expect(tracker.list()).rejects.toThrow(`${file}:4:1`);
    expect(await readFile(file, 'utf8')).toBe(broken);
    expect((await stat(file)).mtimeMs).toBe(mtime);
  });

  it('names an issue record without an id', () => {
    expect(() => parseBeadsFile('{"title":"no id"}\n', 'x.jsonl')).toThrow('x.jsonl:1:1: issue record has no "id"');
  });
});
