import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareRepo, gt, rigYaml, tempDir, townYaml } from '../support/town.js';
import { READY_RULES, READY_RULES_EXPECTED } from './fixtures/ready-rules.js';
import { HERE } from './support.js';

const FAKE_BD_DIR = path.join(HERE, 'fake-bd');

describe('gt issues ready, as users run it', () => {
  let dir: string;
  let root: string;
  let beads: string;

  beforeAll(async () => {
    await chmod(path.join(FAKE_BD_DIR, 'bd'), 0o755);
    dir = await tempDir();
    root = path.join(dir, 'town');
    const manifest = path.join(dir, 'town.yaml');
    await writeFile(manifest, `${townYaml(root)}---\n${rigYaml('wyvern', await bareRepo(dir), '  beads:\n    prefix: r\n')}`);
    const stored = await gt(['apply', '-f', manifest, '--no-reconcile']);
    expect(stored.code, stored.stderr).toBe(0);
    beads = path.join(root, 'wyvern', '.beads');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function freshBeads(): Promise<void> {
    await rm(beads, { recursive: true, force: true });
    await mkdir(beads, { recursive: true });
  }

  it('on a JSONL rig, equals what the ready rules give for a bd export', async () => {
    await freshBeads();
    await copyFile(READY_RULES, path.join(beads, 'issues.jsonl'));
    const r = await gt(['issues', 'ready', '--town', root, '--rig', 'wyvern', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((i) => i.id)).toEqual(READY_RULES_EXPECTED);
  });

  it('on an embedded-Dolt rig, asks bd (bd ready --json --limit 0) and leaves the export alone', async () => {
    await freshBeads();
    await mkdir(path.join(beads, 'embeddeddolt', 'r', '.dolt'), { recursive: true });
    const exported = await readFile(READY_RULES, 'utf8');
    await writeFile(path.join(beads, 'issues.jsonl'), exported);
    const scratch = await tempDir('gt-fake-bd-');
    const state = {
      next: 1,
      issues: {
        'r-work': { id: 'r-work', title: 'work', status: 'open', priority: 2, issue_type: 'task', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' },
        'r-wisp': { id: 'r-wisp', title: 'wisp', status: 'open', priority: 0, issue_type: 'task', ephemeral: true, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' },
      },
    };
    await writeFile(path.join(scratch, 'state.json'), JSON.stringify(state));
    const env = { PATH: `${FAKE_BD_DIR}${path.delimiter}${process.env.PATH}`, FAKE_BD_LOG: path.join(scratch, 'calls.jsonl'), FAKE_BD_STATE: path.join(scratch, 'state.json') };
    const r = await gt(['issues', 'ready', '--town', root, '--rig', 'wyvern', '-o', 'json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((i) => i.id)).toEqual(['r-work']);
    const calls = (await readFile(env.FAKE_BD_LOG, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { argv: string[]; beadsDir: string });
    expect(calls).toEqual([{ argv: ['ready', '--json', '--limit', '0'], beadsDir: beads, actor: 'gt' }]);
    const created = await gt(['issues', 'create', 'new work', '--town', root, '--rig', 'wyvern'], { env });
    expect(created.code, created.stderr).toBe(0);
    expect(await readFile(path.join(beads, 'issues.jsonl'), 'utf8')).toBe(exported);
    await rm(scratch, { recursive: true, force: true });
  });

  it('on a bd rig without bd on PATH: a named condition with the fix, exit 2, the export untouched', async () => {
    await freshBeads();
    await writeFile(path.join(beads, 'beads.db'), 'SQLite format 3\0');
    const exported = await readFile(READY_RULES, 'utf8');
    await writeFile(path.join(beads, 'issues.jsonl'), exported);
    const empty = await tempDir('gt-no-bd-');
    for (const args of [
      ['issues', 'ready'],
      ['issues', 'create', 'lost work'],
      ['issues', 'close', 'r-ready'],
    ]) {
      const r = await gt([...args, '--town', root, '--rig', 'wyvern'], { env: { PATH: empty } });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`${beads} holds a SQLite database (beads.db), which only bd reads, and bd is not on PATH`);
      expect(r.stderr).toContain('Install bd');
    }
    expect(await readFile(path.join(beads, 'issues.jsonl'), 'utf8')).toBe(exported);
    await rm(empty, { recursive: true, force: true });
  });
});
