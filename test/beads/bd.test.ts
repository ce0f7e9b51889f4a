import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BdCommandError, BdTracker } from '../../src/beads/bd.js';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { BdNotOnPath, findBdDatabase, type BdDatabase } from '../../src/beads/layout.js';
import { openTracker } from '../../src/beads/open.js';
import { beadsDir, HERE, removeTempDirs, scratchDir } from './support.js';

const FAKE_BD_DIR = path.join(HERE, 'fake-bd');
/** What bd last exported: gt must leave every byte of it alone on a bd rig. */
const EXPORT = '{"_type":"issue","id":"gt-old","title":"exported by bd","status":"open","priority":2,"issue_type":"task","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}\n';
const ORIGINAL_PATH = process.env.PATH;

interface Call {
  argv: string[];
  beadsDir: string;
  actor: string;
}

let dir: string;
let log: string;

async function calls(): Promise<Call[]> {
  if (!existsSync(log)) return [];
  return (await readFile(log, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Call);
}
const argvs = async () => (await calls()).map((c) => c.argv);

beforeAll(async () => {
  await chmod(path.join(FAKE_BD_DIR, 'bd'), 0o755);
});

beforeEach(async () => {
  dir = await beadsDir();
  const scratch = await scratchDir('gt-fake-bd-');
  log = path.join(scratch, 'calls.jsonl');
  process.env.FAKE_BD_LOG = log;
  process.env.FAKE_BD_STATE = path.join(scratch, 'state.json');
  process.env.PATH = `${FAKE_BD_DIR}${path.delimiter}${ORIGINAL_PATH}`;
  delete process.env.FAKE_BD_FAIL;
  delete process.env.FAKE_BD_IGNORE;
});

afterEach(() => {
  process.env.PATH = ORIGINAL_PATH;
});
afterAll(removeTempDirs);

describe('BdTracker over the bd CLI', () => {
  it('maps every operation to real bd subcommands, values after --, with BEADS_DIR set', async () => {
    const t = new BdTracker(dir, { actor: 'mayor' });
    const epic = await t.create({ title: 'Epic', type: 'epic', priority: 1 });
    const task = await t.create({ title: 'Task', description: 'do it', labels: ['a', 'b'], assignee: 'p1', externalRef: 'gh-9', parent: epic.id, blockedBy: ['fk-1'] });
    await t.update(task.id, { status: 'blocked', assignee: null, title: 'Task 2', description: '', priority: 3, labels: [] });
    await t.addComment(task.id, 'polecat-1', 'noted');
    await t.addDependency(task.id, epic.id, 'related');
    await t.close(epic.id, 'done');
    await t.reopen(epic.id, 'not done');
    await t.list();
    await t.ready();
    expect(await argvs()).toEqual([
      ['create', '--json', '-p', '1', '-t', 'epic', '--', 'Epic'],
      ['show', '--json', '--', 'fk-1'],
      ['create', '--json', '-d', 'do it', '--labels', 'a', '--labels', 'b', '--assignee', 'p1', '--external-ref', 'gh-9', '--parent', 'fk-1', '--deps', 'blocks:fk-1', '--', 'Task'],
      ['show', '--json', '--', 'fk-2'],
      ['update', '--json', '--status', 'blocked', '--assignee', '', '--title', 'Task 2', '-d', '', '-p', '3', '--set-labels', '', '--', 'fk-2'],
      ['show', '--json', '--', 'fk-2'],
      ['comments', 'add', '--json', '--author', 'polecat-1', '--', 'fk-2', 'noted'],
      ['show', '--json', '--', 'fk-2'],
      ['dep', 'add', '--json', '--type', 'related', '--', 'fk-2', 'fk-1'],
      ['show', '--json', '--', 'fk-2'],
      ['show', '--json', '--', 'fk-1'],
      ['close', '--json', '--reason', 'done', '--', 'fk-1'],
      ['show', '--json', '--', 'fk-1'],
      ['show', '--json', '--', 'fk-1'],
      ['reopen', '--json', '--reason', 'not done', '--', 'fk-1'],
      ['show', '--json', '--', 'fk-1'],
      ['list', '--json', '--all', '--limit', '0'],
      ['ready', '--json', '--limit', '0'],
    ]);
    for (const c of await calls()) expect(c).toMatchObject({ beadsDir: dir, actor: 'mayor' });
  });

  it('passes hostile text through as single arguments: no shell ever sees it', async () => {
    const scratch = path.dirname(log);
    const pwned = path.join(scratch, 'pwned');
    const title = `-rf $(touch ${pwned}) \`touch ${pwned}\` "double" 'single' ; | & \\ \nsecond line`;
    const t = new BdTracker(dir);
    const created = await t.create({ title, description: `$(touch ${pwned})\n--json` });
    await t.addComment(created.id, "o'brien", `\`touch ${pwned}\``);
    const [create, , comment] = await argvs();
    expect(create).toEqual(['create', '--json', '-d', `$(touch ${pwned})\n--json`, '--', title]);
    expect(comment).toEqual(['comments', 'add', '--json', '--author', "o'brien", '--', created.id, `\`touch ${pwned}\``]);
    expect(created.title).toBe(title);
    expect(existsSync(pwned)).toBe(false);
  });

  it('reads issues back as typed issues, dependencies from bd show included', async () => {
    const t = new BdTracker(dir);
    const a = await t.create({ title: 'A' });
    const b = await t.create({ title: 'B', blockedBy: [a.id] });
    expect(b).toMatchObject({ id: b.id, title: 'B', status: 'open', priority: 2, issue_type: 'task' });
    expect(b.dependencies).toEqual([{ issue_id: b.id, depends_on_id: a.id, type: 'blocks' }]);
    expect(await t.get('fk-99')).toBeUndefined();
  });

  it('ready keeps only open issues from bd ready, highest priority then oldest first', async () => {
    const t = new BdTracker(dir);
    const low = await t.create({ title: 'low', priority: 3 });
    const high = await t.create({ title: 'high', priority: 0 });
    const busy = await t.create({ title: 'busy', priority: 0 });
    await t.update(busy.id, { status: 'in_progress' });
    expect((await t.ready()).map((i) => i.id)).toEqual([high.id, low.id]);
  });

  it('claims with a readiness check and refuses one held by someone else', async () => {
    const t = new BdTracker(dir);
    const a = await t.create({ title: 'A' });
    const claimed = await t.claim(a.id, 'polecat-1');
    expect(claimed).toMatchObject({ status: 'in_progress', assignee: 'polecat-1' });
    await expect(t.claim(a.id, 'polecat-2')).rejects.toThrow(`cannot claim ${a.id}: already claimed by polecat-1`);
    const tail = (await argvs()).slice(2);
    expect(tail).toEqual([
      ['show', '--json', '--', a.id],
      ['ready', '--json', '--limit', '0'],
      ['update', '--json', '--status', 'in_progress', '--assignee', 'polecat-1', '--', a.id],
      ['show', '--json', '--', a.id],
      ['show', '--json', '--', a.id],
    ]);
  });

  it('reports a failing bd call with its stderr, and carries on with the next call', async () => {
    const t = new BdTracker(dir);
    process.env.FAKE_BD_FAIL = 'list';
    const failing = new BdTracker(dir);
    const [listed, created] = await Promise.allSettled([failing.list(), t.create({ title: 'still works' })]);
    expect(listed.status).toBe('rejected');
    const err = (listed as PromiseRejectedResult).reason as BdCommandError;
    expect(err).toBeInstanceOf(BdCommandError);
    expect(err.message).toBe('bd list --json --all --limit 0: exit code 1: Error: list failed on purpose');
    expect(created.status).toBe('fulfilled');
    await expect(failing.ready()).resolves.toEqual([(created as PromiseFulfilledResult<unknown>).value]);
  });

  it('does not trust exit code 0: a change bd did not make is reported with what bd said', async () => {
    const t = new BdTracker(dir);
    const a = await t.create({ title: 'A' });
    process.env.FAKE_BD_IGNORE = 'close';
    await expect(new BdTracker(dir).close(a.id, 'done')).rejects.toThrow(`bd did not leave ${a.id} closed (it is open); bd said: Error: cannot close ${a.id}: database is locked`);
  });
});

/** Every layout today's bd (and the SQLite bd before it) leaves in `.beads`, made as bd makes it. */
const LAYOUTS: { name: string; kind: BdDatabase['kind']; make: (dir: string) => Promise<void> }[] = [
  {
    name: 'embedded Dolt (.beads/embeddeddolt/<db>/.dolt)',
    kind: 'embedded-dolt',
    make: async (dir) => {
      await mkdir(path.join(dir, 'embeddeddolt', 'gt', '.dolt'), { recursive: true });
      await writeFile(path.join(dir, 'metadata.json'), '{"database":"dolt","backend":"dolt","dolt_database":"gt"}\n');
    },
  },
  {
    name: 'Dolt served by dolt sql-server (.beads/dolt/<db>/.dolt)',
    kind: 'dolt-server',
    make: async (dir) => {
      await mkdir(path.join(dir, 'dolt', 'gt', '.dolt'), { recursive: true });
      await writeFile(path.join(dir, 'metadata.json'), '{"database":"dolt","backend":"dolt","dolt_mode":"server","dolt_database":"gt"}\n');
    },
  },
  {
    name: 'a dolt sql-server elsewhere, named only by metadata.json',
    kind: 'dolt-server',
    make: (dir) => writeFile(path.join(dir, 'metadata.json'), '{"backend":"dolt","dolt_mode":"server","dolt_server_host":"10.0.0.5"}\n'),
  },
  {
    name: 'legacy SQLite (.beads/beads.db)',
    kind: 'sqlite',
    make: (dir) => writeFile(path.join(dir, 'beads.db'), 'SQLite format 3\0'),
  },
];

describe('openTracker and the layouts of a bd database', () => {
  it('a .beads without a bd database is the JSONL tracker (metadata.json of a SQLite-era rig alone does not count)', async () => {
    expect(await findBdDatabase(dir)).toBeUndefined();
    await writeFile(path.join(dir, 'metadata.json'), '{"database":"beads.db","jsonl_export":"issues.jsonl"}\n');
    await mkdir(path.join(dir, 'backup.db'));
    expect(await findBdDatabase(dir)).toBeUndefined();
    expect(await openTracker(dir, { prefix: 'gt', backend: 'auto' })).toBeInstanceOf(JsonlTracker);
  });

  for (const layout of LAYOUTS) {
    it(`${layout.name}: found, read and written through bd, never through the export`, async () => {
      await layout.make(dir);
      await writeFile(path.join(dir, 'issues.jsonl'), EXPORT);
      expect((await findBdDatabase(dir))?.kind).toBe(layout.kind);
      const t = await openTracker(dir, { prefix: 'gt', backend: 'auto' });
      expect(t).toBeInstanceOf(BdTracker);
      await t.create({ title: 'through bd' });
      expect(await t.ready()).toMatchObject([{ title: 'through bd' }]);
      expect(await readFile(path.join(dir, 'issues.jsonl'), 'utf8')).toBe(EXPORT);
    });

    it(`${layout.name}, and no bd on PATH: a named condition with the fix, and the export untouched`, async () => {
      await layout.make(dir);
      await writeFile(path.join(dir, 'issues.jsonl'), EXPORT);
      process.env.PATH = path.dirname(log);
      const opened = openTracker(dir, { prefix: 'gt', backend: 'auto' });
      await expect(opened).rejects.toBeInstanceOf(BdNotOnPath);
      await expect(opened).rejects.toThrow(/which only bd reads, and bd is not on PATH.*Install bd .*spec\.beads\.backend/);
      expect(await readFile(path.join(dir, 'issues.jsonl'), 'utf8')).toBe(EXPORT);
      expect(await readdir(dir)).not.toContain('issues.jsonl.lock');
    });
  }

  it('honours an explicit backend, and a missing .beads directory means JSONL', async () => {
    await writeFile(path.join(dir, 'beads.db'), '');
    process.env.PATH = path.dirname(log);
    expect(await openTracker(dir, { prefix: 'gt', backend: 'bd' })).toBeInstanceOf(BdTracker);
    expect(await openTracker(dir, { prefix: 'gt', backend: 'jsonl' })).toBeInstanceOf(JsonlTracker);
    expect(await openTracker(path.join(dir, 'missing'), { prefix: 'gt', backend: 'auto' })).toBeInstanceOf(JsonlTracker);
  });
});
