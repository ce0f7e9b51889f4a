import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, gt, rigYaml, tempDir, townYaml } from './support/town.js';

/** A command that did its job exits 0 and prints its result, whatever another rig's state. */
describe('a broken rig does not make commands about another rig fail', () => {
  let dir: string;
  let root: string;
  let betaOnly: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    const all = path.join(dir, 'all.yaml');
    betaOnly = path.join(dir, 'beta.yaml');
    await writeFile(all, `${townYaml(root)}---\n${rigYaml('beta', bare)}---\n${rigYaml('gamma', path.join(dir, 'does-not-exist.git'))}`);
    await writeFile(betaOnly, `${townYaml(root)}---\n${rigYaml('beta', bare, '  workers:\n    max: 2\n')}`);
    const first = await gt(['apply', '-f', all]);
    // gamma's clone fails: this apply names gamma, so it says so with exit 1.
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('Rig/gamma');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gt apply of a file without the broken rig exits 0 and warns about it', async () => {
    const r = await gt(['apply', '-f', betaOnly]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: Rig\/gamma.*no such repository.*not part of this command/);
  });

  it('gt stop RIG -o json prints its result and exits 0; so does gt start', async () => {
    const stop = await gt(['stop', 'beta', '--town', root, '-o', 'json', '--wait', '1s']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ changes: [{ key: 'Rig/beta' }] });
    expect(stop.stderr).toContain('warning: Rig/gamma');
    const start = await gt(['start', 'beta', '--town', root, '-o', 'json']);
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ reconciledBy: 'start' });
  });
});
