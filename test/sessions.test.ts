import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { objectJson, parseJson, statusJson } from './support/json.js';
import { TestTown, until } from './support/workers.js';
import { tmuxServer } from './support/town.js';

/**
 * The session-cycle controller with real tmux and the scripted role agent
 * (examples/agents/scripted-session.mjs): sessions kept alive, handoff, drift at idle, crash
 * loops, stop and start.
 */
const AGENT = '["gt", "demo-agent"]';

function townExtra(mayor: string, agent = AGENT): string {
  return `  agent:\n    command: ${agent}\n  mayor:\n    enabled: true\n${mayor}`;
}

let t: TestTown | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

function pane(town: TestTown, session: string): string {
  try {
    return execFileSync('tmux', [...tmuxServer(town.socket), 'capture-pane', '-p', '-t', `=${session}:`], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

function panePid(town: TestTown, session: string): string {
  return execFileSync('tmux', [...tmuxServer(town.socket), 'display-message', '-p', '-t', `=${session}:`, '#{pane_pid}'], { encoding: 'utf8' }).trim();
}

function sendKeys(town: TestTown, session: string, text: string): void {
  execFileSync('tmux', [...tmuxServer(town.socket), 'send-keys', '-t', `=${session}:`, '-l', text]);
  execFileSync('tmux', [...tmuxServer(town.socket), 'send-keys', '-t', `=${session}:`, 'Enter']);
}

async function state(town: TestTown, dir: string): Promise<{ requesting_cycle?: boolean; handoff?: { messageId: string; by: string } }> {
  return parseJson(await readFile(path.join(town.root, dir, 'state.json'), 'utf8').catch(() => '{}'));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long-running sessions', () => {
  it('keeps the mayor and a rig witness running with their role, instructions and contract; a second pass does nothing', async () => {
    t = await TestTown.create({ townExtra: townExtra('    idleAfter: 1s\n'), rigExtra: '  witness:\n    enabled: true\n', workers: '    max: 1\n' });
    // gt apply reconciled once already: the sessions are up.
    expect(t.liveSessions()).toEqual(['gt-mayor', 'gt-wyvern-witness']);
    const env = execFileSync('tmux', [...tmuxServer(t.socket), 'show-environment', '-t', 'gt-wyvern-witness'], { encoding: 'utf8' });
    expect(env).toContain('GT_ROLE=witness');
    expect(env).toContain('GT_AGENT=wyvern/witness');
    expect(await readFile(path.join(t.root, 'wyvern', 'witness', 'CLAUDE.md'), 'utf8')).toContain('You are the Witness of rig wyvern');
    await until(() => pane(t!, 'gt-mayor').includes('session started (role mayor)'), 'the mayor agent to start');
    expect(await t.once()).toBe('Everything already matches the spec.\n');
    expect((await t.gt(['diff'])).code).toBe(0);
    // Heartbeats: the agent's gt calls and its pane's output.
    await t.gt(['mail', 'inbox', 'mayor']);
    const status = statusJson((await t.gt(['status', '-o', 'json'])).stdout);
    expect(status.agents.map((a) => a.name)).toEqual(['gt-mayor', 'gt-wyvern-witness']);
    expect(status.agents.every((a) => a.activityAt)).toBe(true);
    expect((await t.gt(['status'])).stdout).toMatch(/Agent sessions:\n {2}gt-mayor/);
  });

  it('gt handoff: a fresh session starts at the next idle point and reads the handoff mail first', async () => {
    t = await TestTown.create({ townExtra: townExtra('    idleAfter: 1s\n'), workers: '    max: 1\n' });
    await t.once();
    await until(() => pane(t!, 'gt-mayor').includes('session started'), 'the mayor agent');
    const before = panePid(t, 'gt-mayor');
    sendKeys(t, 'gt-mayor', 'your context is full: please hand off');
    const s = await until(async () => ((await state(t!, 'mayor')).requesting_cycle ? state(t!, 'mayor') : undefined), 'gt handoff to set requesting_cycle');
    expect(s.handoff?.by).toBe('agent');
    // idleAfter (1s) passes on gt's clock, not the test's.
    const diff = await t.gt(['diff'], 2000);
    expect(diff.stdout).toContain('~ cycle session gt-mayor: the agent handed off');
    await t.once(2000);
    expect(panePid(t, 'gt-mayor')).not.toBe(before);
    await until(() => pane(t!, 'gt-mayor').includes(`read my handoff ${s.handoff!.messageId}`), 'the fresh session to read its handoff');
    const mail = await t.mail('mayor');
    expect(mail.find((m) => m.type === 'handoff')).toMatchObject({ read: true });
    expect((await state(t, 'mayor')).requesting_cycle).toBe(false);
  });

  it('a spec change cycles the session only once its pane is idle; gt diff shows the pending cycle', async () => {
    // idleAfter leaves room for a gt diff and a pass between keystrokes on a loaded machine.
    t = await TestTown.create({ townExtra: townExtra('    idleAfter: 6s\n'), workers: '    max: 1\n' });
    await t.once();
    await until(() => pane(t!, 'gt-mayor').includes('session started'), 'the mayor agent');
    const before = panePid(t, 'gt-mayor');
    await t.writeManifest({ workers: '    max: 1\n', townExtra: townExtra('    idleAfter: 6s\n    instructions: Prefer small steps.\n') });
    expect((await t.gt(['apply', '-f', 'town.yaml', '--no-reconcile'])).code).toBe(0);
    // Busy: keep the pane printing (typed text is echoed) while passes run.
    for (let i = 0; i < 4; i++) {
      sendKeys(t, 'gt-mayor', `still working ${i}`);
      const diff = await t.gt(['diff']);
      expect(diff.code).toBe(1);
      expect(diff.stdout).toMatch(/~ cycle session gt-mayor: the spec changed .*at its next idle point \(waiting\)/);
      await t.once();
      expect(panePid(t, 'gt-mayor')).toBe(before);
      await sleep(300);
    }
    // Quiet for idleAfter (6s) on gt's clock.
    expect(await t.once(7000)).toContain('cycle session gt-mayor: the spec changed');
    expect(panePid(t, 'gt-mayor')).not.toBe(before);
    expect(await readFile(path.join(t.root, 'mayor', 'CLAUDE.md'), 'utf8')).toContain('Prefer small steps.');
    expect((await t.gt(['diff'])).code).toBe(0);
  });

  it('a crash-looping session is restarted with backoff, then left stopped and escalated', async () => {
    t = await TestTown.create({ townExtra: townExtra('    restartBackoff: 100ms\n    maxRestarts: 2\n', '["sh", "-c", "exit 3"]'), workers: '    max: 1\n' });
    const seen: string[] = [await t.once()];
    await until(
      async () => {
        await sleep(150);
        const r = await t!.gt(['run', '--once']);
        seen.push(r.stdout);
        return r.stdout.includes('SessionCrashLooping');
      },
      'the crash loop to be detected',
      30_000,
    );
    expect(seen.join('\n')).toContain('restart after a crash');
    const mail = await t.mail('overseer');
    expect(mail.map((m) => m.subject)).toContain('Session gt-mayor is crash-looping');
    // Left stopped: further passes start nothing.
    await sleep(300);
    const after = await t.gt(['run', '--once']);
    expect(after.stdout).not.toContain('start session');
    const status = objectJson((await t.gt(['get', 'town', 't', '-o', 'json'])).stdout);
    expect(JSON.stringify(status)).toContain('crashLooping');
  });
});

describe('removing a rig', () => {
  it('its witness hands off and ends before the rig is removed', async () => {
    t = await TestTown.create({ rigExtra: '  witness:\n    enabled: true\n    idleAfter: 1s\n', workers: '    max: 1\n' });
    await until(() => pane(t!, 'gt-wyvern-witness').includes('session started'), 'the witness agent');
    expect((await t.gt(['delete', 'rig', 'wyvern'])).code).toBe(0);
    await until(
      async () => {
        await t!.gt(['run', '--once']);
        return (await t!.gt(['get', 'rig', 'wyvern'])).code !== 0;
      },
      'the rig to be removed',
      40_000,
    );
    expect(t.liveSessions()).toEqual([]);
  });
});

describe('polecat handoff', () => {
  it('a polecat that hands off gets a fresh session on the same issue, which reads the handoff and finishes', async () => {
    t = await TestTown.create({ agentArgs: ['--mode', 'handoff'] });
    const id = await t.createIssue('write the notes');
    await t.once();
    const clone = path.join('wyvern', 'polecats', 'nux');
    const s = await until(async () => ((await state(t!, clone)).requesting_cycle ? state(t!, clone) : undefined), 'the polecat to hand off');
    // The state file lives in the clone but is never part of the polecat's work.
    expect(await readFile(path.join(t.root, clone, '.git', 'info', 'exclude'), 'utf8')).toContain('/state.json');
    const before = panePid(t, 'gt-wyvern-nux');
    // Its pane quiet for 3 s (HANDOFF_IDLE_MS) on gt's clock.
    expect(await t.once(4000)).toContain('cycle polecat nux to a fresh session');
    expect(panePid(t, 'gt-wyvern-nux')).not.toBe(before);
    await until(() => pane(t!, 'gt-wyvern-nux').includes(`read my handoff ${s.handoff!.messageId}`), 'the fresh session to read its handoff');
    expect((await t.records()).map((r) => [r.name, r.issueId])).toEqual([['nux', id]]);
    expect((await t.issue(id)).assignee).toBe('wyvern/polecats/nux');
    // The fresh session does the work: verified and handed to the merge queue as usual.
    await until(async () => (await t!.once()).includes(`merge request for ${id}`), 'the work to be verified', 30_000);
  });
});

describe('gt stop and gt start', () => {
  it('stop: sessions hand off and end, a working polecat is left running and reported; start restores the same sessions', async () => {
    t = await TestTown.create({
      townExtra: townExtra('    idleAfter: 1s\n    handoffTimeout: 20s\n'),
      rigExtra: '  witness:\n    enabled: true\n    idleAfter: 1s\n',
      agentArgs: ['--mode', 'stuck'],
      workers: '    max: 1\n    spawnDelay: 0s\n',
    });
    await t.createIssue('long task');
    await t.once();
    await until(() => t!.liveSessions().join() === 'gt-mayor,gt-wyvern-nux,gt-wyvern-witness', `three live sessions, not ${t.liveSessions().join()}`);
    await until(() => pane(t!, 'gt-mayor').includes('session started') && pane(t!, 'gt-wyvern-witness').includes('session started'), 'the role agents');
    const stop = await t.gt(['stop', '--wait', '30s']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toContain('~ Town/t');
    expect(stop.stdout).toContain('Left running: gt-wyvern-nux');
    expect(t.liveSessions()).toEqual(['gt-wyvern-nux']);
    expect((await state(t, 'mayor')).handoff?.by).toBe('agent');
    // Declarative: the loop keeps them stopped.
    expect((await t.gt(['diff'])).code).toBe(0);
    expect(await t.once()).not.toContain('start session');

    const start = await t.gt(['start']);
    expect(start.code, start.stderr).toBe(0);
    expect(t.liveSessions()).toEqual(['gt-mayor', 'gt-wyvern-nux', 'gt-wyvern-witness']);
    await until(() => pane(t!, 'gt-mayor').includes('read my handoff'), 'the resumed mayor to read its handoff');
  });

  it('stop --now ends every session at once and deletes nothing; nothing restarts until gt start', async () => {
    t = await TestTown.create({ townExtra: townExtra('    idleAfter: 1s\n'), agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n' });
    await t.createIssue('long task');
    await t.once();
    expect(t.liveSessions()).toEqual(['gt-mayor', 'gt-wyvern-nux']);
    const now = await t.gt(['stop', '--now']);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain('Ended 2 sessions at once');
    expect(t.sessions()).toEqual([]);
    expect((await t.records()).map((r) => r.name)).toEqual(['nux']);
    const pass = await t.once();
    expect(pass).not.toContain('start session');
    expect(pass).not.toContain('restart');
    expect(t.sessions()).toEqual([]);
    expect((await t.gt(['start'])).code).toBe(0);
    expect(t.liveSessions()).toEqual(['gt-mayor', 'gt-wyvern-nux']);
  });
});
