import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recogniseScreen } from '../src/agents/screens.js';
import type { PresetName } from '../src/agents/presets.js';
import { AGENTS_BIN, agentsMissing } from './support/agents.js';
import { GT_BIN, REPO_ROOT, tmuxServer } from './support/town.js';
import { TestTown, until } from './support/workers.js';
import { parseJson } from './support/json.js';

/**
 * The real agent CLIs (scripts/install-agents.sh), offline as this machine is, started by gt in
 * a polecat's tmux session: what their screens show is recognised, reported, escalated once,
 * and neither nudged nor counted as a crash; a rig-wide condition holds the ready queue.
 */
let t: TestTown | undefined;
let loop: ChildProcess | undefined;
let loopOutput = '';
afterEach(async () => {
  loop?.kill('SIGTERM');
  if (loop && loop.exitCode === null) await new Promise((r) => loop!.once('exit', r));
  loop = undefined;
  await t?.dispose();
  t = undefined;
});

/** A town whose rig runs the real CLI of `preset`, in a HOME of the test's own (no credentials of this machine's). */
async function realAgentTown(preset: PresetName, env: Record<string, string>, workers = '    max: 2\n    spawnDelay: 0s\n', rigExtra = ''): Promise<TestTown> {
  const town = await TestTown.create({ workers, rigExtra });
  const home = path.join(town.dir, 'agent-home');
  await mkdir(home);
  const yaml = path.join(town.dir, 'town.yaml');
  const agent = [
    `preset: ${preset}`,
    '    env:',
    `      HOME: ${JSON.stringify(home)}`,
    `      PATH: ${JSON.stringify(`${AGENTS_BIN}:${process.env.PATH}`)}`,
    `      TMPDIR: ${JSON.stringify(home)}`,
    ...Object.entries(env).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
  ].join('\n');
  await writeFile(yaml, (await readFile(yaml, 'utf8')).replace(/command: \[.*\]/, agent));
  const r = await town.gt(['apply', '-f', yaml]);
  if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  return town;
}

function screen(town: TestTown, session: string): string {
  return execFileSync('tmux', [...tmuxServer(town.socket), 'capture-pane', '-p', '-J', '-t', session], { encoding: 'utf8' });
}

function paneCommand(town: TestTown, session: string): string {
  return execFileSync('tmux', [...tmuxServer(town.socket), 'display-message', '-p', '-t', session, '#{pane_start_command}'], { encoding: 'utf8' });
}

async function rigStatus(town: TestTown): Promise<{ findings: { code: string; message: string }[]; breaker: unknown; spawnFailures?: number; workers: { name: string; condition?: string }[] }> {
  return parseJson<{ rigs: Awaited<ReturnType<typeof rigStatus>>[] }>((await town.gt(['status', '-o', 'json'])).stdout).rigs[0]!;
}

async function escalations(town: TestTown): Promise<{ subject: string; body: string }[]> {
  // No mayor runs: escalations reach the Overseer.
  return (await town.mail('overseer')).filter((m) => m.type === 'escalation');
}

function startLoop(town: TestTown): ChildProcess {
  const p = spawn(process.execPath, [GT_BIN, 'run', '--town', town.root], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.on('data', (d: Buffer) => (loopOutput += d.toString()));
  p.stderr.on('data', (d: Buffer) => (loopOutput += d.toString()));
  return p;
}

describe.skipIf(agentsMissing())('real agent CLIs, offline', () => {
  it('claude: gt run starts it with the unattended flags, recognises "Unable to connect", reports, escalates once, holds the queue, counts no crash', async () => {
    t = await realAgentTown('claude', { IS_SANDBOX: '1' });
    await t.createIssue('first');
    await t.createIssue('second');
    const started = Date.now();
    loop = startLoop(t);
    const rig = await until(
      async () => {
        const r = await rigStatus(t!);
        return r.findings.some((f) => f.code === 'AgentOffline') && r;
      },
      'the offline screen to be recognised',
      60_000,
    );
    // Within seconds of the start, not at the stuck timer or a minutes-long resync.
    expect(Date.now() - started).toBeLessThan(45_000);
    const session = t.sessions()[0]!;
    expect(paneCommand(t, session)).toContain('--dangerously-skip-permissions');
    expect(screen(t, session)).toContain('Unable to connect to Anthropic services');
    expect(rig.findings.find((f) => f.code === 'AgentOffline')!.message).toContain('cannot reach its service');
    expect(rig.workers.map((w) => w.condition)).toEqual(['AgentOffline']);
    // Given the loop several more passes: one polecat, started once, one escalation, no breaker count.
    await new Promise((r) => setTimeout(r, 8000));
    const records = await t.records();
    expect(records, loopOutput).toHaveLength(1);
    expect(records[0]!.starts).toHaveLength(1);
    expect(records[0]!.nudges).toBe(0);
    expect(t.sessions()).toHaveLength(1);
    const after = await rigStatus(t);
    expect(after.breaker).toBeNull();
    expect(after.spawnFailures ?? 0).toBe(0);
    const sent = (await escalations(t)).filter((m) => m.subject.includes('AgentOffline'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toContain('Unable to connect to Anthropic services');
    const doctor = parseJson<{ findings: { code: string; subject: string; message: string; fix: string }[] }>((await t.gt(['doctor', '-o', 'json'])).stdout).findings;
    const d = doctor.find((x) => x.code === 'GT-AGENT-CONDITION');
    expect(d, JSON.stringify(doctor)).toBeDefined();
    expect(d!.subject).toBe('Rig/wyvern');
    expect(d!.message).toContain('AgentOffline');
    expect(d!.fix).toContain('route');
    expect(doctor.map((x) => x.code)).not.toContain('GT-ZOMBIE-SESSION');
  }, 120_000);

  it("claude as root without IS_SANDBOX: it refuses --dangerously-skip-permissions, and gt says IS_SANDBOX=1 is the Overseer's choice", async () => {
    if (process.getuid?.() !== 0) return console.warn('not root: Claude Code does not refuse here');
    t = await realAgentTown('claude', {}, '    max: 1\n    spawnDelay: 0s\n');
    await t.createIssue('work');
    loop = startLoop(t);
    const f = await until(async () => (await rigStatus(t!)).findings.find((x) => x.code === 'AgentRefusesRoot'), 'the refusal to be recognised', 60_000);
    expect(f.message).toContain('cannot be used with root/sudo privileges');
    expect(f.message).toContain("IS_SANDBOX=1 in agent.env (that is the Overseer's choice: gt never sets it)");
    const env = execFileSync('tmux', [...tmuxServer(t.socket), 'show-environment', '-t', t.sessions()[0]!], { encoding: 'utf8' });
    expect(env).not.toContain('IS_SANDBOX');
    expect((await t.records())[0]!.starts).toHaveLength(1);
  }, 120_000);

  it('a long-running session (the witness) gets the same: its condition found on its screen, escalated once, never restarted as a crash', async () => {
    if (process.getuid?.() !== 0) return console.warn('not root: Claude Code does not refuse here');
    t = await realAgentTown('claude', {}, '    max: 1\n    spawnDelay: 0s\n', '  witness:\n    enabled: true\n');
    loop = startLoop(t);
    const f = await until(async () => (await rigStatus(t!)).findings.find((x) => x.code === 'AgentRefusesRoot'), 'the witness refusal to be recognised', 60_000);
    expect(f.message).toContain('session gt-wyvern-witness');
    // Past the start-up checks: still one escalation, and the dead pane was not restarted as a crash.
    await new Promise((r) => setTimeout(r, 10_000));
    const sent = (await escalations(t)).filter((m) => m.subject === 'Session gt-wyvern-witness: AgentRefusesRoot');
    expect(sent, loopOutput).toHaveLength(1);
    const record = parseJson<{ starts: string[]; crashes: string[] }>(await readFile(path.join(t.root, '.gt', 'sessions', 'gt-wyvern-witness.json'), 'utf8'));
    expect(record.crashes).toEqual([]);
    // Started by gt apply's pass, then at most once more: the loop cycles it once when its own
    // launch fingerprint differs from the apply's (the environment each gt runs with).
    expect(record.starts.length, loopOutput).toBeLessThanOrEqual(2);
    const doctor = parseJson<{ findings: { code: string; message: string }[] }>((await t.gt(['doctor', '-o', 'json'])).stdout).findings;
    expect(doctor.some((x) => x.code === 'GT-AGENT-CONDITION' && x.message.includes('gt-wyvern-witness'))).toBe(true);
  }, 120_000);

  it('codex: with no login it shows its sign-in screen; gt reports AgentNeedsLogin and holds the queue', async () => {
    t = await realAgentTown('codex', {});
    await t.createIssue('first');
    await t.createIssue('second');
    loop = startLoop(t);
    await until(async () => (await rigStatus(t!)).findings.some((x) => x.code === 'AgentNeedsLogin'), 'the login screen to be recognised', 60_000);
    expect(paneCommand(t, t.sessions()[0]!)).toContain('--dangerously-bypass-approvals-and-sandbox');
    await new Promise((r) => setTimeout(r, 5000));
    expect(await t.records()).toHaveLength(1);
    expect((await escalations(t)).filter((m) => m.subject.includes('AgentNeedsLogin'))).toHaveLength(1);
    // The instructions are in AGENTS.md, which git does not see.
    const clone = path.join(t.root, 'wyvern', 'polecats', (await t.records())[0]!.name);
    expect(await readdir(clone)).toContain('AGENTS.md');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
  }, 120_000);
});

describe('recorded screens of the states this machine cannot reach', () => {
  const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'agent-screens');
  const expected: Record<string, string> = { offline: 'AgentOffline', 'needs-login': 'AgentNeedsLogin', 'trust-dialog': 'AgentWaitingAtDialog', 'refuses-root': 'AgentRefusesRoot' };
  it('each recorded screen is recognised as its state, by its own preset only where the text is its own', async () => {
    for (const preset of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name as PresetName)) {
      for (const file of await readdir(path.join(dir, preset))) {
        const text = await readFile(path.join(dir, preset, file), 'utf8');
        expect(recogniseScreen(preset, text)?.code, `${preset}/${file}`).toBe(expected[file.replace(/\.txt$/, '')]);
      }
    }
  });

  it('a screen of an agent at work is no condition', () => {
    expect(recogniseScreen('codex', '  >_ OpenAI Codex (v0.171.0)\n› Ask Codex to do anything')).toBeUndefined();
  });
});
