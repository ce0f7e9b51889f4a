import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, gt, rigYaml, tempDir, townYaml } from './support/town.js';
import { TestTown, until } from './support/workers.js';

let town: TestTown | undefined;
afterEach(async () => {
  await town?.dispose();
  town = undefined;
});

/** A bare repository whose only branch, and HEAD, is `trunk`. */
async function trunkRepo(dir: string): Promise<string> {
  const bare = await bareRepo(dir);
  execFileSync('git', ['branch', '-m', 'main', 'trunk'], { cwd: bare });
  return bare;
}

describe("a rig without defaultBranch takes the remote's HEAD (here trunk), as git clone does", () => {
  it('the plan says the clone takes the remote default branch, and later plans name it', async () => {
    const dir = await tempDir();
    try {
      const bare = await trunkRepo(dir);
      const root = path.join(dir, 'town');
      await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}`);
      const a = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
      expect(a.code, a.stderr).toBe(0);
      expect(a.stdout).toContain(`+ clone wyvern/refinery/rig from ${bare} (the remote's default branch)`);
      expect(execFileSync('git', ['branch', '--show-current'], { cwd: path.join(root, 'wyvern', 'refinery', 'rig'), encoding: 'utf8' }).trim()).toBe('trunk');
      expect((await gt(['diff', '--town', root])).code).toBe(0);
      await rm(path.join(root, 'wyvern', 'mayor', 'rig'), { recursive: true });
      expect((await gt(['diff', '--town', root])).stdout).toContain(`+ clone wyvern/mayor/rig from ${bare} (trunk)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dispatches from trunk and merges into trunk', async () => {
    town = await TestTown.create({ headBranch: 'trunk' });
    const id = await town.createIssue('work on trunk');
    const plan = await town.gt(['diff']);
    expect(plan.stdout).toContain(`(branch polecat/nux/${id} from trunk)`);
    await until(async () => {
      await town!.once();
      return (await town!.issue(id)).status === 'closed';
    }, 'the work to be merged');
    expect(((await town.issue(id)) as { close_reason?: string }).close_reason).toMatch(/^merged into trunk as [0-9a-f]{40}$/);
    expect(town.remoteBranches()).toEqual(['trunk']);
  });

  it('a named branch the remote does not have is an error naming the branches it has', async () => {
    const dir = await tempDir();
    try {
      const bare = await trunkRepo(dir);
      execFileSync('git', ['branch', 'release', 'trunk'], { cwd: bare });
      await writeFile(path.join(dir, 'town.yaml'), `${townYaml(path.join(dir, 'town'))}---\n${rigYaml('wyvern', bare, '  defaultBranch: develop\n')}`);
      const a = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
      expect(a.code).toBe(1);
      expect(a.stderr).toContain('it has no branch "develop" (its branches: release, trunk)');
      // The spec's mistake, not a passing outage: Stalled until the spec changes, and no issue is claimed meanwhile.
      const root = path.join(dir, 'town');
      const created = await gt(['issues', 'create', 'work', '--town', root, '--rig', 'wyvern']);
      expect(created.code, created.stderr).toBe(0);
      await gt(['run', '--once', '--town', root]);
      const issues = JSON.parse((await gt(['issues', 'list', '--town', root, '--rig', 'wyvern', '-o', 'json'])).stdout) as { status: string; assignee?: string }[];
      expect(issues.map((i) => [i.status, i.assignee ?? null])).toEqual([['open', null]]);
      const doctor = JSON.parse((await gt(['doctor', '--town', root, '-o', 'json'])).stdout) as { findings: { code: string; message: string; fix: string }[] };
      const stalled = doctor.findings.find((f) => f.code === 'GT-STALLED');
      expect(stalled?.message).toContain('it has no branch "develop"');
      expect(stalled?.fix).toContain('correct the spec');
      expect(doctor.findings.map((f) => f.code)).not.toContain('GT-CLONE-FAILING');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
