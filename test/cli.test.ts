import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { bareRepo, gt, rigYaml, tempDir, townYaml } from './support/town.js';

describe('the CLI surface a user touches first (the bundled gt)', () => {
  let dir: string;
  let root: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}`);
    const applied = await gt(['apply', '-f', path.join(dir, 'town.yaml'), '--no-reconcile']);
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gt get rig NAME -o yaml prints the object as YAML', async () => {
    const r = await gt(['get', 'rig', 'wyvern', '-o', 'yaml', '--town', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({ kind: 'Rig', metadata: { name: 'wyvern', generation: 1 }, spec: { gitUrl: expect.any(String) } });
  });

  it('-o yaml prints the same value as -o json, on every command that reads', async () => {
    const readers = [['get'], ['get', 'rig', 'wyvern'], ['diff'], ['status'], ['doctor'], ['issues', 'list', '--rig', 'wyvern'], ['mail', 'inbox'], ['apply', '-f', path.join(dir, 'town.yaml'), '--dry-run']];
    for (const args of readers) {
      const json = await gt([...args, '-o', 'json', '--town', root]);
      const yaml = await gt([...args, '-o', 'yaml', '--town', root]);
      expect(yaml.stderr, args.join(' ')).toBe('');
      expect(yaml.code, args.join(' ')).toBe(json.code);
      expect(parse(yaml.stdout), args.join(' ')).toEqual(JSON.parse(json.stdout));
    }
  });

  it('-o takes text, json or yaml and names them otherwise', async () => {
    const r = await gt(['get', '-o', 'xml', '--town', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('text, json, yaml');
  });
});

describe('the tests run the bundle users run', () => {
  it('dist/bundle/main.js is built from the current sources (vitest global setup)', async () => {
    const { bundleStaleness } = await import('./support/bundle.js');
    expect(bundleStaleness()).toBeUndefined();
  });
});
