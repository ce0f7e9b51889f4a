import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCommand } from '../src/agents/command.js';
import { doctorJson, objectJson, statusJson, type DoctorJson } from './support/json.js';
import { tempDir } from './support/town.js';
import { TestTown, until } from './support/workers.js';

/**
 * An agent command that is not installed (the default `claude` on a fresh machine) must be
 * named as the cause, with the PATH searched and the fix, and never be started, counted as a
 * crash or trip the breaker. Real tmux, a command that does not exist.
 */
const MISSING = 'gt-no-such-agent-9f3';

let t: TestTown | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

async function doctorFindings(town: TestTown): Promise<DoctorJson['findings']> {
  const r = await town.gt(['doctor', '-o', 'json']);
  return doctorJson(r.stdout).findings;
}

/**
 * A polecat is dispatched, its pane dies with 127, and three more passes run: it was started
 * once, the breaker stayed closed, and the rig's AgentCommandMissing finding says why.
 */
async function diedWith127(town: TestTown): Promise<{ message: string }> {
  await town.createIssue('work');
  await town.once();
  await until(() => town.sessions().length === 1 && town.liveSessions().length === 0, 'the pane to die');
  for (let i = 0; i < 3; i++) await town.once();
  expect((await town.records())[0]!.starts).toHaveLength(1);
  const status = statusJson((await town.gt(['status', '-o', 'json'])).stdout);
  expect(status.rigs[0]!.breaker).toBeNull();
  const f = status.rigs[0]!.findings.find((x) => x.code === 'AgentCommandMissing');
  expect(f, JSON.stringify(status.rigs[0])).toBeDefined();
  expect(f!.message).toContain('exited with status 127');
  return f!;
}

describe('an agent command that is not installed', () => {
  it('polecats: nothing is started or claimed, the rig says which command and PATH, doctor reports it; a spec naming a real command starts work', async () => {
    t = await TestTown.create({ workers: '    max: 1\n    spawnDelay: 0s\n    breakerThreshold: 1\n' });
    const yaml = path.join(t.dir, 'town.yaml');
    const good = await readFile(yaml, 'utf8');
    await writeFile(yaml, good.replace(/command: \[.*\]/, `command: ["${MISSING}", "--prompt", "{promptFile}"]`));
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    const issue = await t.createIssue('work');
    await t.once();
    await t.once();
    expect(t.sessions()).toEqual([]);
    expect(await t.records()).toEqual([]);
    expect((await t.issue(issue)).status).toBe('open');

    const rig = statusJson((await t.gt(['status', '-o', 'json'])).stdout).rigs[0]!;
    expect(rig.breaker).toBeNull();
    const f = rig.findings.find((x) => x.code === 'AgentCommandMissing');
    expect(f, JSON.stringify(rig)).toBeDefined();
    expect(f!.message).toContain(`"${MISSING}"`);
    expect(f!.message).toContain(path.join(t.root, '.gt', 'bin'));
    expect(f!.message).toContain('agent.command');
    const text = (await t.gt(['status'])).stdout;
    expect(text).toContain('AgentCommandMissing');
    expect(text).not.toContain('Pane is dead');

    const diff = await t.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('AgentCommandMissing');

    const d = (await doctorFindings(t)).find((x) => x.code === 'GT-AGENT-COMMAND-MISSING');
    expect(d, 'GT-AGENT-COMMAND-MISSING').toBeDefined();
    expect(d!.subject).toBe('Rig/wyvern');
    expect(d!.message).toContain(MISSING);
    expect(d!.fix).toContain('agent.command');

    // The spec names a command that exists: work starts at once, nothing was counted against it.
    await writeFile(yaml, good);
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    await until(async () => (await t!.records()).length === 1 && t!.liveSessions().length === 1, 'the polecat to start');
    expect((await t.records())[0]!.starts).toHaveLength(1);
  });

  it('a polecat whose pane died with 127 (its command vanished) is explained, not restarted, not a breaker strike', async () => {
    t = await TestTown.create({ workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 0s\n    breakerThreshold: 1\n' });
    // An agent that removes itself, then exits as env(1) does for a command it cannot find.
    const agent = path.join(t.dir, 'vanishing-agent.sh');
    await writeFile(agent, '#!/bin/sh\nrm -f "$0"\nexit 127\n');
    await chmod(agent, 0o755);
    const yaml = path.join(t.dir, 'town.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/command: \[.*\]/, `command: ["${agent}"]`));
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    const f = await diedWith127(t);
    expect(f.message).toContain(agent);
    const text = (await t.gt(['status'])).stdout;
    expect(text).not.toContain('Pane is dead');
  });

  it('a wrapper that is found but cannot start its program (env no-such, exit 127) is not restarted until the agent changes', async () => {
    t = await TestTown.create({ workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 0s\n    breakerThreshold: 2\n' });
    const yaml = path.join(t.dir, 'town.yaml');
    const good = await readFile(yaml, 'utf8');
    await writeFile(yaml, good.replace(/command: \[.*\]/, `command: ["env", "${MISSING}"]`));
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    const f = await diedWith127(t);
    expect(f.message).toContain('"env" started but could not find a program it starts');
    expect((await t.mail('overseer')).filter((m) => m.type === 'escalation')).toEqual([]);
    // A new agent: restarted at once, the old deaths counted against nothing.
    await writeFile(yaml, good);
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    await until(() => t!.liveSessions().length === 1, 'the polecat to restart with the new agent');
    expect((await t.gt(['status', '-o', 'json'])).stdout).not.toContain('AgentCommandMissing');
  });

  it('long-running sessions: the mayor is not started while its command is missing, and the Town says why', async () => {
    t = await TestTown.create({ townExtra: `  agent:\n    command: ["${MISSING}"]\n  mayor:\n    enabled: true\n    restartBackoff: 0s\n`, workers: '    max: 1\n' });
    await t.once();
    await t.once();
    expect(t.sessions()).toEqual([]);
    const town = objectJson((await t.gt(['get', 'town', 't', '-o', 'json'])).stdout);
    expect(JSON.stringify(town.status)).toContain('AgentCommandMissing');
    expect(JSON.stringify(town.status)).not.toContain('crashLooping');
    const d = (await doctorFindings(t)).find((x) => x.code === 'GT-AGENT-COMMAND-MISSING');
    expect(d?.subject).toBe('Town/t');
    expect((await t.mail('overseer')).filter((m) => m.subject.includes('crash'))).toEqual([]);
  });
});

describe('checkCommand (as env(1) finds a program)', () => {
  it('finds a name on PATH, a path as an executable file, and tells missing from not executable', async () => {
    const dir = await tempDir('gt-cmd-');
    try {
      await mkdir(path.join(dir, 'bin'));
      await writeFile(path.join(dir, 'bin', 'agent'), '#!/bin/sh\n');
      await chmod(path.join(dir, 'bin', 'agent'), 0o755);
      await writeFile(path.join(dir, 'bin', 'plain'), 'not a program\n');
      const PATH = `/nonexistent-dir:${path.join(dir, 'bin')}`;
      expect(checkCommand('agent', PATH, dir)).toEqual({ ok: true, command: 'agent' });
      expect(checkCommand('./bin/agent', '', dir)).toEqual({ ok: true, command: './bin/agent' });
      expect(checkCommand('plain', PATH, dir)).toMatchObject({ ok: false, problem: 'notExecutable' });
      expect(checkCommand(path.join(dir, 'bin', 'plain'), PATH, dir)).toMatchObject({ ok: false, problem: 'notExecutable' });
      expect(checkCommand('nope', PATH, dir)).toEqual({ ok: false, command: 'nope', problem: 'notFound', searched: ['/nonexistent-dir', path.join(dir, 'bin')] });
      expect(checkCommand('/no/such/agent', PATH, dir)).toMatchObject({ ok: false, problem: 'notFound', searched: ['/no/such/agent'] });
      // A directory named like the program is not it.
      expect(checkCommand('bin', dir, dir)).toMatchObject({ ok: false, problem: 'notFound' });
      // Relative to a working directory that does not exist yet (a polecat's clone before its spawn): checked later.
      expect(checkCommand('./agent.sh', PATH, path.join(dir, 'not-yet'))).toEqual({ ok: true, command: './agent.sh' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
