import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseJson } from './support/json.js';
import { GT_BIN, gt, rigYaml, tempDir, townYaml } from './support/town.js';
import { TestTown, until } from './support/workers.js';

let town: TestTown | undefined;
afterEach(async () => {
  await town?.dispose();
  town = undefined;
});

async function pool(t: TestTown): Promise<{ cloneFailures?: { attempts: number; error: string } }> {
  return parseJson(await readFile(path.join(t.root, '.gt', 'workers', 'wyvern', '_pool.json'), 'utf8'));
}

describe("a polecat's clone that fails (the rig's remote went away after the rig was set up)", () => {
  it('releases the issue, backs off, says so in gt status and gt doctor, and recovers when the remote is back', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    const id = await town.createIssue('work');
    // A released polecat's mail must survive a failed clone into its directory.
    await mkdir(path.join(town.root, 'wyvern', 'polecats', 'nux', 'mail'), { recursive: true });
    await writeFile(path.join(town.root, 'wyvern', 'polecats', 'nux', 'mail', 'inbox.jsonl'), '');
    const moved = `${town.bare}.moved`;
    await rename(town.bare, moved);

    const first = await town.gt(['run', '--once']);
    expect(first.code).toBe(1);
    expect(first.stderr + first.stdout).toContain('no such repository');
    // Nothing half-made: the issue is ready again, unassigned; no worker record; the mail kept.
    const issue = await town.issue(id);
    expect(issue.status).toBe('open');
    expect(issue.assignee).toBeUndefined();
    expect(await town.records()).toEqual([]);
    expect(existsSync(path.join(town.root, 'wyvern', 'polecats', 'nux', 'mail', 'inbox.jsonl'))).toBe(true);
    expect((await pool(town)).cloneFailures?.attempts).toBe(1);

    // A pass right after does not try again: the plan waits out the backoff.
    const second = await town.gt(['run', '--once']);
    expect(second.code, second.stderr).toBe(0);
    expect((await pool(town)).cloneFailures?.attempts).toBe(1);
    expect((await town.issue(id)).status).toBe('open');

    const status = await town.gt(['status']);
    expect(status.stdout).toContain('! CloneFailing:');
    expect(status.stdout).toContain('no such repository');
    expect(status.stdout).toMatch(/retrying with backoff, next attempt at \d{4}-\d\d-\d\dT/);
    const doctor = await town.gt(['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('GT-CLONE-FAILING');
    expect(doctor.stdout).not.toContain('GT-ACTION-FAILED');

    await rename(moved, town.bare);
    await until(async () => {
      await town!.gt(['run', '--once']);
      return (await town!.records()).length === 1;
    }, 'the next attempt after the backoff to spawn the polecat');
    expect((await town.issue(id)).status).toBe('in_progress');
    expect((await pool(town)).cloneFailures).toBeUndefined();
    expect(existsSync(path.join(town.root, 'wyvern', 'polecats', 'nux', 'mail', 'inbox.jsonl'))).toBe(true);
  });
});

describe("the rig's own clones (refinery, mayor) failing under gt run", () => {
  it('gt status and gt doctor say the loop retries, with the error and the time of the next attempt', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'town');
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', path.join(dir, 'gone.git'))}`);
    expect((await gt(['apply', '-f', 'town.yaml'], { cwd: dir })).code).toBe(1);
    const loop = spawn(process.execPath, [GT_BIN, 'run', '--town', root], { stdio: 'ignore' });
    try {
      const status = await until(async () => {
        const r = await gt(['status', '--town', root]);
        return /gt run retries it at \S+ \(attempt \d+\)/.test(r.stdout) && r.stdout;
      }, 'gt status to name the next attempt');
      expect(status).toMatch(/Rig wyvern: failed: clone wyvern\/(refinery|mayor)\/rig .*no such repository; gt run retries it at/);
      const doctor = await gt(['doctor', '--town', root]);
      expect(doctor.stdout).toMatch(/GT-ACTION-FAILED[^]*no such repository; gt run tries again at \d{4}-/);
    } finally {
      loop.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
