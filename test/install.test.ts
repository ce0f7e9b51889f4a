import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT, tempDir, townYaml } from './support/town.js';

/**
 * The README's way to have `gt` on PATH from a clone (outside it, `npx gt` finds an unrelated
 * registry package): `npm install -g .`, here into a temp prefix, then gt run by name from a
 * directory outside the clone.
 */
describe('gt installed from the clone, used outside it', () => {
  let dir: string;
  let prefix: string;
  const gtOnPath = (args: string[], cwd: string) => spawnSync('gt', args, { cwd, encoding: 'utf8', env: { ...process.env, GT_TOWN: '', PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` } });

  beforeAll(async () => {
    dir = await tempDir('gt-install-');
    prefix = path.join(dir, 'prefix');
    // --ignore-scripts: the clone is already built (the tests' global setup); a rebuild here would
    // replace dist/ under the other tests' feet.
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--offline', '--no-audit', '--no-fund', REPO_ROOT], { cwd: dir, stdio: 'pipe' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gt --version, from a temp directory', async () => {
    const { version } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = gtOnPath(['--version'], dir);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
  });

  it('gt diff -f of a town in a directory of its own', async () => {
    const work = path.join(dir, 'work');
    await mkdir(work);
    await writeFile(path.join(work, 'town.yaml'), townYaml(path.join(work, 'town'), 'elsewhere'));
    const r = gtOnPath(['diff', '-f', 'town.yaml'], work);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('+ Town/elsewhere');
  });
});
