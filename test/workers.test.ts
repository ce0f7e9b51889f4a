import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { statusJson } from './support/json.js';
import { TestTown, until } from './support/workers.js';
import { gt, tmuxServer } from './support/town.js';

let town: TestTown | undefined;
afterEach(async () => {
  await town?.dispose();
  town = undefined;
});

describe('worker pool with real tmux, git and the scripted agent', () => {
  it('spawns up to max and no more, highest priority first', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'] });
    const p3 = await town.createIssue('low', '-p', '3');
    const p1 = await town.createIssue('high', '-p', '1');
    const p2 = await town.createIssue('mid', '-p', '2');
    const p0 = await town.createIssue('urgent', '-p', '0');
    await town.once();
    const records = await town.records();
    expect(records.map((r) => r.issueId).sort()).toEqual([p0, p1].sort());
    expect(town.liveSessions()).toHaveLength(2);
    expect((await town.issue(p0)).status).toBe('in_progress');
    expect((await town.issue(p3)).status).toBe('open');
    await town.once();
    expect(town.sessions()).toHaveLength(2);
    void p2;
  });

  it('a blocked issue waits until its blocker closes', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    const a = await town.createIssue('blocker');
    const b = await town.createIssue('blocked', '--blocked-by', a, '-p', '0');
    await town.once();
    expect((await town.records()).map((r) => r.issueId)).toEqual([a]);
    expect((await town.issue(b)).status).toBe('open');
  });

  it('done -> verified -> merged by the refinery, session stopped, slot freed; titles cannot inject commands', async () => {
    const marker = path.join(town?.dir ?? '/tmp', `pwned-${process.pid}-${Date.now()}`);
    town = await TestTown.create();
    const id = await town.createIssue(`Fix $(touch ${marker}) and \`touch ${marker}\` '"quotes"'`, '-d', `line one\n$(touch ${marker})`);
    await until(async () => {
      await town!.once();
      return (await town!.issue(id)).status === 'closed' && (await town!.records()).length === 0 && town!.sessions().length === 0;
    }, 'the work to be verified, merged and the worker released');
    const issue = await town.issue(id);
    expect(issue.comments?.some((c) => c.text.includes('ready to merge'))).toBe(true);
    expect((issue as { close_reason?: string }).close_reason).toMatch(/^merged into main as [0-9a-f]{40}$/);
    // The polecat's branch is merged and deleted; main holds the work.
    expect(town.remoteBranches()).toEqual(['main']);
    expect(execFileSync('git', ['show', `main:work/${id}.md`], { cwd: town.bare, encoding: 'utf8' })).toContain('Fix $(touch');
    expect(existsSync(path.join(town.root, 'wyvern', 'polecats', 'nux'))).toBe(false);
    expect(existsSync(marker)).toBe(false);
  });

  it('failed verification keeps the work, tells the worker, and accepts the fix', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'dirty'] });
    const id = await town.createIssue('sloppy');
    await until(async () => {
      await town!.once();
      return (await town!.mail('wyvern/polecats/nux')).some((m) => m.subject.includes('Not done yet'));
    }, 'the rejection mail');
    const mail = (await town.mail('wyvern/polecats/nux'))[0]!;
    expect(mail.body).toContain('uncommitted change');
    expect((await town.issue(id)).status).toBe('in_progress');
    expect(existsSync(path.join(town.root, 'wyvern', 'polecats', 'nux', 'work', `${id}.md`))).toBe(true);
    await until(async () => {
      await town!.once();
      return (await town!.issue(id)).status === 'closed';
    }, 'the fixed work to be verified and merged');
  });

  it('restarts a killed session', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 100ms\n' });
    await town.createIssue('work');
    await town.once();
    execFileSync('tmux', [...tmuxServer(town.socket), 'kill-session', '-t', 'gt-wyvern-nux']);
    expect(town.sessions()).toEqual([]);
    const out = await until(async () => {
      const o = await town!.once();
      return o.includes('restart polecat nux') ? o : undefined;
    }, 'a restart');
    expect(out).toContain('its session is gone');
    expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
    expect((await town.records())[0]!.starts).toHaveLength(2);
    // gt status says it in its text too, not only with -o json.
    expect((await town.gt(['status'])).stdout).toMatch(/nux .*\(1 restart\)/);
  });

  it("killed right after deleting a released polecat's clone: the next pass finishes the release, and no agent starts where the clone was (chaos seed 6)", async () => {
    town = await TestTown.create();
    const id = await town.createIssue('work');
    const clone = path.join(town.root, 'wyvern', 'polecats', 'nux');
    await until(async () => {
      const r = await gt(['run', '--once', '--town', town!.root], { env: { GT_FAILPOINT: 'workers:after-clone-delete' } });
      return r.code !== 0 && !existsSync(clone);
    }, 'gt killed right after the clone delete');
    expect((await town.records()).map((r) => [r.name, typeof r.releasingAt])).toEqual([['nux', 'string']]);
    await until(async () => {
      await town!.once();
      return (await town!.issue(id)).status === 'closed' && (await town!.records()).length === 0;
    }, 'the release finished and the work merged');
    expect(existsSync(clone)).toBe(false);
    expect(town.sessions()).toEqual([]);
  });

  it('an issue whose polecat lost its worker record is released and worked again, never held forever (chaos seed 1, 500 faults)', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    const id = await town.createIssue('work');
    await town.once();
    expect((await town.issue(id)).assignee).toBe('wyvern/polecats/nux');
    // The record lost (cut to nothing before its clone existed is forgotten), its session and clone gone.
    execFileSync('tmux', [...tmuxServer(town.socket), 'kill-session', '-t', 'gt-wyvern-nux']);
    await rm(path.join(town.root, '.gt', 'workers', 'wyvern', 'nux.json'));
    await rm(path.join(town.root, 'wyvern', 'polecats', 'nux'), { recursive: true, force: true });
    const out = await town.once();
    expect(out).toContain(`release ${id} back to ready: polecat nux claims it but has no worker record`);
    await until(async () => {
      await town!.once();
      return (await town!.records()).some((r) => r.issueId === id && r.state === 'working');
    }, 'a polecat working the issue again');
    expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
  });

  it('the temporary of a polecat clone cut short by a kill is removed (chaos seed 1, 500 faults)', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'] });
    await town.once();
    const partial = path.join(town.root, 'wyvern', 'polecats', 'toast.gt-partial-4242-abcdef');
    await mkdir(path.join(partial, '.git'), { recursive: true });
    expect(await town.once()).toContain('- partial clone polecats/toast.gt-partial-4242-abcdef (left by a clone cut short)');
    expect(existsSync(partial)).toBe(false);
  });

  it("a clone holding another issue's uncommitted work is never carried into a new issue: kept, and the issue goes to another polecat (chaos seed 1, 500 faults)", async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    const a = await town.createIssue('first');
    await town.once();
    const clone = path.join(town.root, 'wyvern', 'polecats', 'nux');
    await writeFile(path.join(clone, 'left-over.txt'), 'staged, never committed\n');
    execFileSync('git', ['add', 'left-over.txt'], { cwd: clone });
    // Its worker gone (the clone kept: it holds work), its issue closed by a person.
    execFileSync('tmux', [...tmuxServer(town.socket), 'kill-session', '-t', 'gt-wyvern-nux']);
    await rm(path.join(town.root, '.gt', 'workers', 'wyvern', 'nux.json'));
    await town.gt(['issues', 'close', a]);
    // A new issue that goes to nux first (as one sent back to it would).
    const b = await town.createIssue('second');
    const file = path.join(town.root, 'wyvern', '.beads', 'issues.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').map((l) => (l.includes(`"id":"${b}"`) ? JSON.stringify({ ...(JSON.parse(l) as object), assignee: 'wyvern/polecats/nux' }) : l));
    await writeFile(file, lines.join('\n'));
    const out = await town.gt(['run', '--once']);
    expect(out.stdout + out.stderr).toMatch(/holds 1 uncommitted change\(s\) on polecat\/nux\//);
    expect((await town.issue(b)).assignee).toBeUndefined();
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toContain('A  left-over.txt');
  });

  it('a crash-looping agent backs off, is escalated, and trips the breaker', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'crash'], workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 50ms\n    maxRestarts: 2\n    breakerThreshold: 2\n' });
    await town.createIssue('crashes');
    await town.createIssue('waits');
    await until(async () => {
      await town!.once();
      return (await town!.records())[0]?.state === 'crashLooping';
    }, 'crash-loop escalation');
    const mayor = await town.mail('mayor');
    expect(mayor.some((m) => m.type === 'escalation' && m.body.includes('died'))).toBe(true);
    const status = statusJson((await town.gt(['status', '-o', 'json'])).stdout);
    expect(status.rigs[0]?.breaker?.reason).toContain('died within');
    const diff = await town.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('BreakerOpen');
    expect(diff.stdout).toContain('WorkerCrashLooping');
    // No new worker while the breaker is open, whatever is ready.
    await town.once();
    expect(await town.records()).toHaveLength(1);
    const crashing = (await town.records())[0]!;
    // gt reset-breaker is one shot: it resets, re-arms the crash-looping polecat and exits.
    const reset = await town.gt(['reset-breaker', 'wyvern', '-o', 'json']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      rig: 'wyvern',
      breaker: { reason: expect.stringContaining('died within') as string },
      rearmed: [{ polecat: crashing.name, issue: crashing.issueId }],
    });
    expect((await town.gt(['status', '-o', 'json'])).stdout).toContain('"breaker": null');
    const diff2 = await town.gt(['diff']);
    expect(diff2.stdout).toContain(`release ${crashing.issueId} from crash-looping polecat ${crashing.name} back to ready (gt reset-breaker)`);
    // The old spelling does the same and exits too (no loop left in the foreground).
    const old = await town.gt(['run', '--reset-breaker', 'wyvern']);
    expect(old.code).toBe(0);
    expect(old.stdout).toContain('the circuit breaker was not open');
    // Its agent fixed, the issue goes back to ready (never closed) and is worked again.
    await town.writeManifest({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 50ms\n    maxRestarts: 2\n    breakerThreshold: 2\n' });
    expect((await town.gt(['apply', '-f', 'town.yaml', '--no-reconcile'])).code).toBe(0);
    await town.once();
    const issue = await town.issue(crashing.issueId);
    expect(issue.comments?.some((c) => c.text.startsWith(`Released from crash-looping polecat ${crashing.name}`))).toBe(true);
    expect(issue.status).not.toBe('closed');
    expect((await town.records()).map((r) => r.state)).toEqual(['working']);
  });

  it('a stuck agent is nudged, then escalated', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n    stuckAfter: 300ms\n    maxNudges: 2\n' });
    await town.createIssue('stuck');
    await town.once();
    await until(async () => {
      // stuckAfter (300ms) passes on gt's clock at each pass.
      await town!.once(400);
      return (await town!.records())[0]?.state === 'stalled';
    }, 'escalation of the stuck worker');
    expect((await town.records())[0]!.nudges).toBe(2);
    const pane = execFileSync('tmux', [...tmuxServer(town.socket), 'capture-pane', '-p', '-t', 'gt-wyvern-nux'], { encoding: 'utf8' });
    expect(pane).toContain('Are you stuck?');
    expect((await town.mail('mayor')).some((m) => m.body.includes('no progress after 2 nudges'))).toBe(true);
    expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
  });

  it('lowering max kills nothing and says so', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'] });
    await town.createIssue('one');
    await town.createIssue('two');
    await town.createIssue('three');
    await town.once();
    expect(town.liveSessions()).toHaveLength(2);
    await town.writeManifest({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    const diff = await town.gt(['diff', '-f', 'town.yaml']);
    expect(diff.stdout).toContain('2 polecats working, max is 1: no new work until they finish (none is stopped)');
    const a = await town.gt(['apply', '-f', 'town.yaml']);
    expect(a.code, a.stderr).toBe(0);
    await town.once();
    expect(town.liveSessions()).toHaveLength(2);
  });

  it('an orphan session is reported, and stopped when its clone holds no work', async () => {
    town = await TestTown.create();
    execFileSync('tmux', [...tmuxServer(town.socket), 'new-session', '-d', '-s', 'gt-wyvern-ghost', 'sleep', '60']);
    const diff = await town.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('- orphan session gt-wyvern-ghost');
    await town.once();
    expect(town.sessions()).toEqual([]);
  });
});

describe('the loop and the worker pool', () => {
  it('reacts to a new ready issue at once (no resync for an hour) and stops cleanly leaving sessions running', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], townExtra: '  resync: 1h\n' });
    const { spawn } = await import('node:child_process');
    const { GT_BIN } = await import('./support/town.js');
    const loop = spawn(process.execPath, [GT_BIN, 'run', '--town', town.root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    loop.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes('gt run: reconciling'), 'the loop to start');
      await new Promise((r) => setTimeout(r, 500));
      const id = await town.createIssue('appears while the loop runs');
      await until(() => town!.liveSessions().includes('gt-wyvern-nux'), 'a session for the new issue', 10_000);
      expect((await town.records())[0]!.issueId).toBe(id);
      const exited = new Promise<number | null>((r) => loop.on('exit', (code) => r(code)));
      loop.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
    } finally {
      loop.kill('SIGKILL');
    }
  });
});

describe('swarms and the worker pool', () => {
  it("maxParallel caps how many of a swarm's tasks are worked at once, within the rig's max", async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 3\n    spawnDelay: 0s\n' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path.join(town.dir, 'swarm.yaml'),
      `apiVersion: gastown.dev/v1alpha1
kind: Swarm
metadata:
  name: trio
spec:
  rig: wyvern
  title: three independent tasks
  maxParallel: 1
  tasks:
    - { id: a, title: task a }
    - { id: b, title: task b }
    - { id: c, title: task c }
`,
    );
    const a = await town.gt(['apply', '-f', 'swarm.yaml']);
    expect(a.code, a.stderr).toBe(0);
    await town.once();
    expect(await town.records()).toHaveLength(1);
    expect(town.liveSessions()).toHaveLength(1);
    const other = await town.createIssue('not in the swarm');
    await town.once();
    const records = await town.records();
    expect(records).toHaveLength(2);
    expect(records.map((r) => r.issueId)).toContain(other);
    const diff = await town.gt(['diff']);
    expect(diff.stdout).toContain('ready issue(s) wait for their swarm (maxParallel or suspended)');
  });
});
