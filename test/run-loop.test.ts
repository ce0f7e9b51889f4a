import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm, writeFile } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { bareRepo, exists, GT_BIN, gt, rigYaml, tempDir, townYaml } from './support/town.js';

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gt run (the loop)', () => {
  let dir: string;
  let root: string;
  let bare: string;
  let loop: ChildProcess;
  let output = '';

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), townYaml(root).replace('spec:\n', 'spec:\n  resync: 1h\n'));
    expect((await gt(['apply', '-f', 'town.yaml'], { cwd: dir })).code).toBe(0);
    loop = spawn(process.execPath, [GT_BIN, 'run', '--town', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    loop.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    loop.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await until(() => output.includes('gt run: reconciling'), 'the loop to start');
  });
  afterAll(async () => {
    loop.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the run lock: a second loop for the same town is refused, naming the first', async () => {
    const second = await gt(['run', '--town', root, '--lock-timeout', '1s']);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`pid ${loop.pid}`);
    expect(second.stderr).toContain('a gt run loop is already running for this town');
  });

  it('reacts to an apply at once (no resync for an hour), and apply leaves the work to it', async () => {
    await writeFile(path.join(dir, 'rig.yaml'), rigYaml('wyvern', bare));
    const a = await gt(['apply', '-f', 'rig.yaml', '--town', root], { cwd: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain(`The running loop (pid ${loop.pid}) reconciles the change.`);
    await until(() => exists(path.join(root, 'wyvern', 'mayor', 'rig', 'README.md')), 'the loop to clone the rig');
    await until(async () => (await gt(['diff', '--town', root])).code === 0, 'the town to be in sync');
    expect(output).toContain('Rig/wyvern: ready');
  });

  it('stops cleanly on SIGTERM and releases its locks', async () => {
    const exited = new Promise<number | null>((r) => loop.on('exit', (code) => r(code)));
    loop.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('gt run: stopping');
    expect(await exists(path.join(root, '.gt', 'run.lock'))).toBe(false);
    expect(await exists(path.join(root, '.gt', 'lock'))).toBe(false);
  });
});
