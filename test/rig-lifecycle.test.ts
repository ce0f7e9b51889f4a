import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { objectJson, parseJson, parseJsonLines, type EventJson, type RigsFileJson } from './support/json.js';
import { bareRepo, exists, git, gt, rigYaml, snapshot, tempDir, townYaml } from './support/town.js';

describe('apply -> diff -> run --once -> diff, against real git', () => {
  let dir: string;
  let root: string;
  let bare: string;
  let manifest: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    bare = await bareRepo(dir);
    manifest = path.join(dir, 'town.yaml');
    await writeFile(manifest, `${townYaml(root)}---\n${rigYaml('wyvern', bare, '  beads:\n    prefix: wy\n')}`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('plans everything before the town exists, stores without acting, then converges in one pass', async () => {
    const before = await gt(['diff', '-f', manifest]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('+ Town/test');
    expect(before.stdout).toContain('+ Rig/wyvern');
    expect(before.stdout).toContain(`+ clone wyvern/refinery/rig from ${bare} (the remote's default branch)`);
    expect(await exists(root)).toBe(false);

    const stored = await gt(['apply', '-f', manifest, '--no-reconcile']);
    expect(stored.code).toBe(0);
    expect(await exists(path.join(root, 'wyvern'))).toBe(false);

    const pending = await gt(['diff', '--town', root]);
    expect(pending.code).toBe(1);
    expect(pending.stdout).toMatch(/Plan: \d+ to create, 0 to change, 0 to remove\./);

    const once = await gt(['run', '--once', '--town', root]);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout).toContain('Rig/wyvern: ready');

    const after = await gt(['diff', '--town', root]);
    expect(after.stdout).toContain('In sync');
    expect(after.code).toBe(0);

    expect(JSON.parse(await readFile(path.join(root, 'config', 'town.json'), 'utf8'))).toMatchObject({ type: 'town', name: 'test' });
    expect(parseJson<RigsFileJson>(await readFile(path.join(root, 'config', 'rigs.json'), 'utf8')).rigs.wyvern?.gitUrl).toBe(bare);
    expect(await readFile(path.join(root, 'wyvern', '.beads', 'issues.jsonl'), 'utf8')).toBe('');
    expect(await readFile(path.join(root, 'wyvern', '.beads', 'config.yaml'), 'utf8')).toContain('issue-prefix: "wy"');
    for (const d of ['polecats', 'witness', 'plugins']) expect(await exists(path.join(root, 'wyvern', d))).toBe(true);
    for (const c of ['refinery/rig', 'mayor/rig']) {
      expect(git(['rev-parse', '--abbrev-ref', 'HEAD'], path.join(root, 'wyvern', c)).trim()).toBe('main');
      expect(git(['config', '--get', 'remote.origin.url'], path.join(root, 'wyvern', c)).trim()).toBe(bare);
    }
  });

  it('a second apply of the same files changes nothing, not even the event log', async () => {
    const before = await snapshot(path.join(root, '.gt'));
    const again = await gt(['apply', '-f', manifest]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Desired state unchanged.');
    expect(again.stdout).toContain('Everything already matches the spec.');
    const after = await snapshot(path.join(root, '.gt'));
    expect(after).toEqual(before);
  });

  it('gt get shows the objects Ready with their generation', async () => {
    const out = await gt(['get', '--town', root]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Rig\s+wyvern\s+1\s+Ready/);
    const json = objectJson((await gt(['get', 'rig', 'wyvern', '-o', 'json', '--town', root])).stdout);
    expect(json.metadata.generation).toBe(1);
    expect(json.status?.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('bumps the generation only when the spec really changes, and shows the field change', async () => {
    await writeFile(manifest, `${townYaml(root)}---\n${rigYaml('wyvern', bare, '  beads:\n    prefix: wy\n  workers:\n    max: 5\n')}`);
    const d = await gt(['diff', '-f', manifest]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('~ Rig/wyvern');
    expect(d.stdout).toContain('spec.workers.max: 3 -> 5');
    expect(d.stdout).toContain('~ file wyvern/config.json');
    const a = await gt(['apply', '-f', manifest]);
    expect(a.code, a.stderr).toBe(0);
    const json = objectJson((await gt(['get', 'rig', 'wyvern', '-o', 'json', '--town', root])).stdout);
    expect(json.metadata.generation).toBe(2);
    expect(parseJson<{ spec: { workers: { max: number } } }>(await readFile(path.join(root, 'wyvern', 'config.json'), 'utf8')).spec.workers.max).toBe(5);
    expect((await gt(['diff', '--town', root])).code).toBe(0);
  });

  it('repairs drift: a deleted clone is cloned again and an edited config is rendered again', async () => {
    await rm(path.join(root, 'wyvern', 'refinery', 'rig'), { recursive: true, force: true });
    await writeFile(path.join(root, 'wyvern', 'config.json'), '{"edited": true}\n');
    await rm(path.join(root, 'wyvern', 'witness'), { recursive: true });
    const d = await gt(['diff', '--town', root]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('+ clone wyvern/refinery/rig');
    expect(d.stdout).toContain('~ file wyvern/config.json');
    expect(d.stdout).toContain('+ dir wyvern/witness/');
    expect((await gt(['run', '--once', '--town', root])).code).toBe(0);
    expect(await exists(path.join(root, 'wyvern', 'refinery', 'rig', 'README.md'))).toBe(true);
    expect(await readFile(path.join(root, 'wyvern', 'config.json'), 'utf8')).toContain('"type": "rig"');
    expect((await gt(['diff', '--town', root])).code).toBe(0);
  });

  it('removes what an interrupted clone left behind', async () => {
    const partial = path.join(root, 'wyvern', 'mayor', 'rig.gt-partial-99999-abcdef');
    await mkdir(partial, { recursive: true });
    const d = await gt(['diff', '--town', root]);
    expect(d.stdout).toContain('- partial clone wyvern/mayor/rig.gt-partial-99999-abcdef');
    expect((await gt(['run', '--once', '--town', root])).code).toBe(0);
    expect(await exists(partial)).toBe(false);
  });

  it('reports a clone whose remote differs from gitUrl and never rewrites it', async () => {
    const clone = path.join(root, 'wyvern', 'mayor', 'rig');
    git(['remote', 'set-url', 'origin', '/somewhere/else.git'], clone);
    const d = await gt(['diff', '--town', root]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('! CloneRemoteMismatch: wyvern/mayor/rig has origin /somewhere/else.git');
    await gt(['run', '--once', '--town', root]);
    expect(git(['config', '--get', 'remote.origin.url'], clone).trim()).toBe('/somewhere/else.git');
    const status = objectJson((await gt(['get', 'rig', 'wyvern', '-o', 'json', '--town', root])).stdout).status;
    expect(status?.conditions.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'CloneRemoteMismatch' });
    git(['remote', 'set-url', 'origin', bare], clone);
    expect((await gt(['diff', '--town', root])).code).toBe(0);
  });
});

describe('removing a rig never loses work', () => {
  let dir: string;
  let root: string;
  let bare: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'all.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}---\n${rigYaml('beads', bare)}`);
    const a = await gt(['apply', '-f', 'all.yaml'], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('waits while a clone has uncommitted, stashed or unpushed work, and removes the rig once it is pushed', async () => {
    const refinery = path.join(root, 'wyvern', 'refinery', 'rig');
    const polecat = path.join(root, 'wyvern', 'polecats', 'nux');
    git(['clone', '-q', bare, polecat], dir);
    await writeFile(path.join(refinery, 'work.txt'), 'precious\n');
    await writeFile(path.join(polecat, 'README.md'), 'stashed change\n');
    git(['stash', '-q'], polecat);

    const del = await gt(['delete', 'rig', 'wyvern', '--town', root]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain('RemovalBlockedByWork: wyvern/refinery/rig has 1 uncommitted change');
    expect(del.stdout).toContain('wyvern/polecats/nux has 1 stash');
    expect(await readFile(path.join(refinery, 'work.txt'), 'utf8')).toBe('precious\n');
    expect((await gt(['get', '--town', root])).stdout).toMatch(/Rig\s+wyvern\s+1\s+Terminating/);
    const d = await gt(['diff', '--town', root]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('Rig/wyvern (being removed):');

    // Committed but not pushed is still work.
    git(['add', 'work.txt'], refinery);
    git(['commit', '-q', '-m', 'work'], refinery);
    git(['stash', 'drop', '-q'], polecat);
    const r1 = await gt(['run', '--once', '--town', root]);
    expect(r1.stdout).toContain('wyvern/refinery/rig has 1 unpushed commit');
    expect(await exists(refinery)).toBe(true);

    git(['push', '-q', 'origin', 'main'], refinery);
    const r2 = await gt(['run', '--once', '--town', root]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toContain('Rig/wyvern: removed');
    expect(await exists(path.join(root, 'wyvern'))).toBe(false);
    expect(parseJson<RigsFileJson>(await readFile(path.join(root, 'config', 'rigs.json'), 'utf8')).rigs).not.toHaveProperty('wyvern');
    expect((await gt(['get', 'rigs', '--town', root])).stdout).not.toContain('wyvern');
    expect((await gt(['diff', '--town', root])).code).toBe(0);
    const events = parseJsonLines<EventJson>(await readFile(path.join(root, '.gt', 'events.jsonl'), 'utf8'));
    const intent = events.findIndex((e) => e.type === 'intent' && e.key === 'Rig/wyvern');
    const removed = events.findIndex((e) => e.type === 'action' && e.action?.type === 'removeClone');
    expect(intent).toBeGreaterThanOrEqual(0);
    expect(removed).toBeGreaterThan(intent);
  });

  it('apply --prune removes rigs the input no longer has, and keeps .beads when it holds issues', async () => {
    await writeFile(path.join(root, 'beads', '.beads', 'issues.jsonl'), '{"id":"beads-1","title":"keep me","status":"open"}\n');
    await writeFile(path.join(dir, 'town-only.yaml'), townYaml(root));
    const p = await gt(['apply', '-f', 'town-only.yaml', '--prune'], { cwd: dir });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('- Rig/beads');
    expect(await exists(path.join(root, 'beads', 'refinery'))).toBe(false);
    expect(await readFile(path.join(root, 'beads', '.beads', 'issues.jsonl'), 'utf8')).toContain('keep me');
    expect(await readdir(path.join(root, 'beads'))).toEqual(['.beads']);
  });
});

describe('a bad gitUrl', () => {
  it('is a clear error in the output and the status, with no half-made clone left behind', async () => {
    const dir = await tempDir();
    try {
      const root = path.join(dir, 'town');
      await writeFile(path.join(dir, 't.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', path.join(dir, 'no-such-repo.git'))}`);
      const a = await gt(['apply', '-f', 't.yaml'], { cwd: dir });
      expect(a.code).toBe(1);
      expect(a.stdout).toContain(`x + clone wyvern/refinery/rig from ${path.join(dir, 'no-such-repo.git')} (the remote's default branch): cannot clone`);
      expect(a.stderr).toContain('no such repository');
      expect(await readdir(path.join(root, 'wyvern', 'refinery'))).toEqual([]);
      const status = objectJson((await gt(['get', 'rig', 'wyvern', '-o', 'json', '--town', root])).stdout).status;
      expect(status?.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ActionFailed' });
      expect(status?.lastError).toContain('no such repository');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
