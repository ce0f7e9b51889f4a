import { execFileSync } from 'node:child_process';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bareRepo, exists, git, gt, rigYaml, tempDir, townYaml } from '../support/town.js';
import { agentLaunch } from '../../src/agents/contract.js';
import { TestTown, until } from '../support/workers.js';
import { HERE, REPO_BEADS, repoIssue as ISSUE } from './support.js';

function onMain(bare: string, file: string): string {
  return execFileSync('git', ['show', `main:${file}`], { cwd: bare, encoding: 'utf8' });
}

function mainLog(bare: string): string[] {
  return execFileSync('git', ['log', '--format=%s', 'main'], { cwd: bare, encoding: 'utf8' }).trim().split('\n');
}

interface FindingView {
  code: string;
  subject: string;
  message: string;
  fix: string;
}

async function applyTown(dir: string, name: string, bare: string, beads: string): Promise<string> {
  const root = path.join(dir, name);
  const manifest = path.join(dir, `${name}.yaml`);
  await writeFile(manifest, `${townYaml(root, name)}---\n${rigYaml('wyvern', bare, beads)}`);
  const applied = await gt(['apply', '-f', manifest]);
  expect(applied.code, applied.stderr).toBe(0);
  return root;
}

describe('a repository that carries its own beads', () => {
  let dir: string;
  let bare: string;

  beforeAll(async () => {
    dir = await tempDir('gt-repo-beads-');
    bare = await bareRepo(dir, REPO_BEADS);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("the default layout reads the town's .beads, and gt doctor points at the repository's", async () => {
    const root = await applyTown(dir, 'plain', bare, '');
    const ready = await gt(['issues', 'ready', '--town', root, '-o', 'json']);
    expect(ready.code, ready.stderr).toBe(0);
    expect(JSON.parse(ready.stdout)).toEqual([]);
    const said = await gt(['issues', 'ready', '--town', root]);
    expect(said.stdout).toContain('No issues.');
    expect(said.stdout).toContain('its repository carries wyvern/refinery/rig/.beads/issues.jsonl with 2 issues');
    const doctor = await gt(['doctor', '--town', root, '-o', 'json']);
    const findings = (JSON.parse(doctor.stdout) as { findings: FindingView[] }).findings;
    const hint = findings.find((f) => f.code === 'GT-BEADS-REPO-UNUSED');
    expect(hint, doctor.stdout).toBeDefined();
    expect(hint!.subject).toBe('Rig/wyvern');
    expect(hint!.message).toContain('.beads/issues.jsonl');
    expect(hint!.message).toContain('2 issues');
    expect(hint!.fix).toContain('location: repository');
  });

  it('location: town said explicitly silences the hint', async () => {
    const root = await applyTown(dir, 'chosen', bare, '  beads:\n    location: town\n');
    const doctor = await gt(['doctor', '--town', root, '-o', 'json']);
    const findings = (JSON.parse(doctor.stdout) as { findings: FindingView[] }).findings;
    expect(findings.map((f) => f.code)).not.toContain('GT-BEADS-REPO-UNUSED');
  });

  it("location: repository lists the repository's issues, and commits and pushes every change gt makes", async () => {
    const root = await applyTown(dir, 'inrepo', bare, '  beads:\n    location: repository\n');
    const ready = await gt(['issues', 'ready', '--town', root, '-o', 'json']);
    expect(ready.code, ready.stderr).toBe(0);
    expect((JSON.parse(ready.stdout) as { id: string }[]).map((i) => i.id)).toEqual(['proj-a1', 'proj-a2']);
    // Nothing of the town's own tracker is seeded beside it.
    expect(await exists(path.join(root, 'wyvern', '.beads', 'issues.jsonl'))).toBe(false);

    const created = await gt(['issues', 'create', 'third', '-p', '0', '--town', root, '-o', 'json']);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    expect(id).toMatch(/^proj-/); // the repository's own prefix, from its .beads/config.yaml
    expect(onMain(bare, '.beads/issues.jsonl')).toContain(`"id":"${id}"`);
    expect(mainLog(bare)[0]).toContain(id);

    const closed = await gt(['issues', 'close', 'proj-a1', '-r', 'done elsewhere', '--town', root]);
    expect(closed.code, closed.stderr).toBe(0);
    const line = onMain(bare, '.beads/issues.jsonl')
      .split('\n')
      .find((l) => l.includes('"proj-a1"'))!;
    expect(JSON.parse(line)).toMatchObject({ status: 'closed', close_reason: 'done elsewhere' });
    // The lines gt did not change are kept byte for byte.
    expect(onMain(bare, '.beads/issues.jsonl')).toContain(ISSUE('proj-a2', 'second', 2));

    // Someone else pushes an issue to main: gt sees it, and its next write builds on it.
    const other = path.join(dir, 'other');
    git(['clone', '-q', bare, other], dir);
    await writeFile(path.join(other, '.beads/issues.jsonl'), `${onMain(bare, '.beads/issues.jsonl')}${ISSUE('proj-b9', 'from a person', 3)}\n`);
    git(['commit', '-q', '-am', 'bd: new issue'], other);
    git(['push', '-q', 'origin', 'main'], other);
    const after = await gt(['issues', 'ready', '--town', root, '-o', 'json']);
    expect((JSON.parse(after.stdout) as { id: string }[]).map((i) => i.id)).toEqual([id, 'proj-a2', 'proj-b9']);
    const comment = await gt(['issues', 'close', 'proj-b9', '--town', root]);
    expect(comment.code, comment.stderr).toBe(0);
    expect(onMain(bare, '.beads/issues.jsonl')).toContain('"id":"proj-b9"');

    const doctor = await gt(['doctor', '--town', root, '-o', 'json']);
    expect((JSON.parse(doctor.stdout) as { findings: FindingView[] }).findings.map((f) => f.code)).not.toContain('GT-BEADS-REPO-UNUSED');
  });
});

describe('a repository whose .beads holds a bd database', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('location: repository goes through bd in the refinery clone and commits nothing', async () => {
    dir = await tempDir('gt-repo-bd-');
    const fakeBd = path.join(HERE, 'fake-bd');
    await chmod(path.join(fakeBd, 'bd'), 0o755);
    // What bd init --server commits: metadata naming a Dolt server; the data lives on the server.
    const bare = await bareRepo(dir, { 'README.md': 'toy\n', '.beads/metadata.json': JSON.stringify({ backend: 'dolt', dolt_mode: 'server', database: 'proj' }) });
    const before = mainLog(bare);
    const root = await applyTown(dir, 'bdtown', bare, '  beads:\n    location: repository\n');
    const state = {
      next: 1,
      issues: { 'proj-db1': { id: 'proj-db1', title: 'in dolt', status: 'open', priority: 2, issue_type: 'task', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' } },
    };
    await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
    const env = { PATH: `${fakeBd}${path.delimiter}${process.env.PATH}`, FAKE_BD_LOG: path.join(dir, 'calls.jsonl'), FAKE_BD_STATE: path.join(dir, 'state.json') };
    const ready = await gt(['issues', 'ready', '--town', root, '-o', 'json'], { env });
    expect(ready.code, ready.stderr).toBe(0);
    expect((JSON.parse(ready.stdout) as { id: string }[]).map((i) => i.id)).toEqual(['proj-db1']);
    const calls = (await readFile(env.FAKE_BD_LOG, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { beadsDir: string });
    expect(calls.map((c) => c.beadsDir)).toEqual([path.join(root, 'wyvern', 'refinery', 'rig', '.beads')]);
    const closed = await gt(['issues', 'close', 'proj-db1', '--town', root], { env });
    expect(closed.code, closed.stderr).toBe(0);
    expect(mainLog(bare)).toEqual(before);
  });
});

describe('a polecat on an issue kept in the repository', () => {
  let town: TestTown | undefined;
  afterAll(() => town?.dispose());

  it('is dispatched, merged, and its claim and close are commits on main', async () => {
    town = await TestTown.create({ repoFiles: REPO_BEADS, rigExtra: '  beads:\n    location: repository\n' });
    await until(
      async () => {
        // A pass may fail a merge whose push found main moved by a beads commit (a claim, a comment):
        // the next pass merges again. That is the trade-off the README names, not an error here.
        const pass = await town!.gt(['run', '--once']);
        if (pass.code !== 0 && !pass.stderr.includes('push to main failed')) throw new Error(`run --once failed (${pass.code}): ${pass.stdout}\n${pass.stderr}`);
        const both = await Promise.all(['proj-a1', 'proj-a2'].map((id) => town!.issue(id)));
        return both.every((i) => i.status === 'closed') && (await town!.records()).length === 0 && town!.sessions().length === 0;
      },
      'both issues to be worked, merged and closed',
      60_000,
    );
    const issues = onMain(town.bare, '.beads/issues.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; status: string; close_reason?: string });
    expect(issues.map((i) => [i.id, i.status])).toEqual([
      ['proj-a1', 'closed'],
      ['proj-a2', 'closed'],
    ]);
    expect(issues[0]!.close_reason).toMatch(/^merged into main as [0-9a-f]{40}$/);
    expect(onMain(town.bare, 'work/proj-a1.md')).toContain('first');
    const log = mainLog(town.bare);
    expect(log).toContain('beads: claim proj-a1 for wyvern/polecats/nux');
    expect(log).toContain('beads: close proj-a1');
    // The town's own tracker was never used.
    expect(await exists(path.join(town.root, 'wyvern', '.beads', 'issues.jsonl'))).toBe(false);
  });
});

describe('BEADS_DIR in the agent contract', () => {
  const launch = (beadsLocation?: 'town' | 'repository') =>
    agentLaunch({
      root: '/srv/town',
      inheritedPath: '/usr/bin:/bin',
      rig: 'wyvern',
      role: 'polecat',
      address: 'wyvern/polecats/nux',
      cwd: '/srv/town/wyvern/polecats/nux',
      promptFile: '/p.md',
      instructions: '',
      agents: [],
      beadsLocation,
    });

  it("names the town's .beads, or the refinery clone's when the issues live in the repository", () => {
    expect(launch().env.BEADS_DIR).toBe('/srv/town/wyvern/.beads');
    expect(launch('town').env.BEADS_DIR).toBe('/srv/town/wyvern/.beads');
    expect(launch('repository').env.BEADS_DIR).toBe('/srv/town/wyvern/refinery/rig/.beads');
  });
});
