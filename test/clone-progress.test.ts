import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { actionGroups } from '../src/engine/reconciler.js';
import { bareRepo, GT_BIN, gt, rigYaml, tempDir, townYaml } from './support/town.js';

const item = (type: string) => ({ action: { type } });
const types = (groups: { batch: boolean; steps: { action: { type: string } }[] }[]) => groups.map((g) => (g.batch ? 'batch:' : '') + g.steps.map((a) => a.action.type).join('+'));

describe('actionGroups: which actions of one plan run at the same time', () => {
  const is = { concurrent: (a: { type: string }) => a.type === 'clone', batch: (a: { type: string }) => a.type === 'issue' };
  it.each([
    { given: [], want: [] },
    { given: ['dir', 'file'], want: ['dir', 'file'] },
    { given: ['dir', 'clone', 'clone', 'file'], want: ['dir', 'clone+clone', 'file'] },
    { given: ['clone', 'clone', 'clone', 'clone'], want: ['clone+clone+clone', 'clone'] },
    { given: ['clone', 'dir', 'clone'], want: ['clone', 'dir', 'clone'] },
    { given: ['dir', 'issue', 'issue', 'issue', 'clone', 'issue'], want: ['dir', 'batch:issue+issue+issue', 'clone', 'batch:issue'] },
  ])('$given -> $want', ({ given, want }) => {
    expect(types(actionGroups(given.map(item), is, 3))).toEqual(want);
  });
});

describe('clones: git progress on a terminal only, and independent clones at the same time', () => {
  let dir: string;
  let manifest: string;
  let bin: string;
  let log: string;

  beforeAll(async () => {
    dir = await tempDir();
    const bare = await bareRepo(dir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.txt`, `${i}\n`.repeat(50)])));
    manifest = path.join(dir, 'town.yaml');
    // file:// makes git use its transport (and its progress meter) even for a local repository.
    await writeFile(manifest, `${townYaml(path.join(dir, 'town'))}---\n${rigYaml('wyvern', `file://${bare}`)}`);
    // A git on PATH that notes when each clone starts and ends, and takes a second over it, so
    // clones that run one after the other cannot overlap in the log.
    bin = path.join(dir, 'bin');
    log = path.join(dir, 'clones.log');
    await mkdir(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    await writeFile(
      path.join(bin, 'git'),
      `#!/bin/sh\nfor a in "$@"; do if [ "$a" = clone ]; then echo start >> '${log}'; sleep 1; '${realGit}' "$@"; s=$?; echo end >> '${log}'; exit $s; fi; done\nexec '${realGit}' "$@"\n`,
    );
    await chmod(path.join(bin, 'git'), 0o755);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('on a pipe, apply prints no progress', async () => {
    const r = await gt(['apply', '-f', manifest, '--no-reconcile']);
    expect(r.code, r.stderr).toBe(0);
    const once = await gt(['run', '--once', '--town', path.join(dir, 'town')], { env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(once.code, once.stderr).toBe(0);
    expect(once.stderr).not.toMatch(/objects/);
    // The refinery's and the mayor's clones ran at the same time: both started before either ended.
    expect((await readFile(log, 'utf8')).split('\n').filter(Boolean).slice(0, 2)).toEqual(['start', 'start']);
  });

  it('on a terminal, each clone shows git progress under its path; -o json shows none', async () => {
    const root = path.join(dir, 'town2');
    const m2 = path.join(dir, 'town2.yaml');
    await writeFile(m2, (await readFile(manifest, 'utf8')).replace(`root: ${path.join(dir, 'town')}`, `root: ${root}`).replace('name: test', 'name: test2'));
    // script(1) gives gt a real terminal, as a person running it has.
    const tty = (args: string[]) =>
      spawnSync('script', ['-qfec', [process.execPath, GT_BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8', env: { ...process.env, GT_TOWN: '' } });
    const shown = tty(['apply', '-f', m2]);
    expect(shown.status, shown.stdout).toBe(0);
    expect(shown.stdout).toMatch(/wyvern\/refinery\/rig: .*objects/);
    expect(shown.stdout).toMatch(/wyvern\/mayor\/rig: .*objects/);
    expect(shown.stdout).not.toContain('Cloning into');

    await rm(path.join(root, 'wyvern', 'mayor', 'rig'), { recursive: true, force: true });
    const json = tty(['run', '--once', '--town', root, '-o', 'json']);
    expect(json.status, json.stdout).toBe(0);
    expect(json.stdout).toContain('"outcomes"');
    expect(json.stdout).not.toMatch(/objects/);
  });
});
