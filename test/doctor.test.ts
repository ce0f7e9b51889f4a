import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Tmux, type SessionInfo } from '../src/runtime/tmux.js';
import type { DoctorFacts } from '../src/doctor/facts.js';
import { judgeHealth } from '../src/doctor/judge.js';
import { viewOf } from '../src/doctor/findings.js';
import { onPath } from '../src/beads/layout.js';
import { splitTorn } from '../src/doctor/judge-files.js';
import type { StoredObject } from '../src/store/store.js';
import type { WorkerRecord } from '../src/workers/records.js';
import { META_KEYS } from '../src/town/services.js';
import { git, gt as gtCli, REPO_ROOT, rigYaml, tempDir, tmuxServer, townYaml } from './support/town.js';
import { doctorJson, objectJson, parseJson, parseJsonLines, type DoctorJson, type EventJson } from './support/json.js';
import { TestTown, until } from './support/workers.js';
import { withDefaults } from './support/manifests.js';

/** A finding as `gt doctor -o json` prints it. */
type Finding = DoctorJson['findings'][number];

let town: TestTown | undefined;
afterEach(async () => {
  await town?.dispose();
  town = undefined;
});

async function findings(t: TestTown): Promise<Finding[]> {
  const r = await t.gt(['doctor', '-o', 'json']);
  expect(r.stderr).toBe('');
  return doctorJson(r.stdout).findings;
}

/** The finding is reported in text and in JSON, and makes doctor exit 1. */
async function expectFinding(t: TestTown, code: string, subject: string): Promise<Finding> {
  const text = await t.gt(['doctor']);
  expect(text.code, text.stderr).toBe(1);
  expect(text.stdout).toMatch(new RegExp(`! ${code} \\[(error|warning)\\] ${subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const json = await t.gt(['doctor', '-o', 'json']);
  expect(json.code).toBe(1);
  const f = doctorJson(json.stdout).findings.find((x) => x.code === code && x.subject === subject);
  expect(f, `${code} ${subject} in ${json.stdout}`).toBeDefined();
  expect(f!.message).not.toContain('\n');
  expect(f!.fix).not.toBe('');
  return f!;
}

async function fix(t: TestTown): Promise<string> {
  const r = await t.gt(['doctor', '--fix']);
  expect([0, 1], r.stderr).toContain(r.code);
  return r.stdout;
}

async function has(t: TestTown, code: string, subject: string): Promise<boolean> {
  return (await findings(t)).some((f) => f.code === code && f.subject === subject);
}

/** A pid that was just alive on this host and is not any more. */
function deadPid(): number {
  return spawnSync('true').pid;
}

/** A worker `nux` working on one issue (the agent idles), its clone at wyvern/polecats/nux. */
async function townWithWorker(workers = '    max: 1\n    spawnDelay: 0s\n'): Promise<{ t: TestTown; issue: string; clone: string }> {
  const t = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers });
  const issue = await t.createIssue('work');
  await t.once();
  expect((await t.records()).map((r) => r.state)).toEqual(['working']);
  return { t, issue, clone: path.join(t.root, 'wyvern', 'polecats', 'nux') };
}

describe('gt doctor', () => {
  it('a healthy town in sync: exit 0, no findings, and --fix has nothing to do', async () => {
    town = await TestTown.create();
    const text = await town.gt(['doctor']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('In sync: nothing to do.');
    expect(text.stdout).toContain('Health: no findings.');
    const json = doctorJson((await town.gt(['doctor', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ inSync: true, healthy: true, findings: [] });
    expect(json.plans.length).toBeGreaterThan(0);
    const fixed = await town.gt(['doctor', '--fix']);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('nothing: the town is in sync and healthy.');
  });

  it("GT-STALE-LOCK: a lock whose pid is dead on this host; --fix removes it and leaves other hosts' locks", async () => {
    town = await TestTown.create();
    const stale = path.join(town.root, 'wyvern', '.beads', 'issues.jsonl.lock');
    await writeFile(stale, JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'gt beads', startedAt: '2020-01-01T00:00:00.000Z' }) + '\n');
    // The same dead pid on another host may be alive there: never judged stale.
    const foreign = path.join(town.root, '.gt', 'run.lock');
    await writeFile(foreign, JSON.stringify({ pid: deadPid(), host: 'elsewhere.invalid', command: 'gt run', startedAt: '2020-01-01T00:00:00.000Z' }) + '\n');
    const f = await expectFinding(town, 'GT-STALE-LOCK', 'wyvern/.beads/issues.jsonl.lock');
    expect(f).toMatchObject({ severity: 'warning', fixable: true });
    expect(f.message).toContain('gt beads');
    expect(await has(town, 'GT-STALE-LOCK', '.gt/run.lock')).toBe(false);
    const out = await fix(town);
    expect(out).toContain('GT-STALE-LOCK wyvern/.beads/issues.jsonl.lock: removed');
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(foreign)).toBe(true);
    expect((await findings(town)).filter((x) => x.code === 'GT-STALE-LOCK')).toEqual([]);
    const events = parseJsonLines<EventJson>(await readFile(path.join(town.root, '.gt', 'events.jsonl'), 'utf8'));
    expect(events.some((e) => e.type === 'action' && e.action?.type === 'doctorRepair' && e.action.code === 'GT-STALE-LOCK')).toBe(true);
  });

  it('GT-MAIL-TORN: an inbox line that is not JSON; --fix moves it beside the inbox and keeps every message', async () => {
    town = await TestTown.create();
    await town.gt(['mail', 'send', 'mayor', '-s', 'first', '-m', 'one']);
    const inbox = path.join(town.root, 'mayor', 'mail', 'inbox.jsonl');
    const torn = '{"id":"msg-torn","from":"wyvern/witness","subj';
    await appendFile(inbox, `${torn}\n`);
    await town.gt(['mail', 'send', 'mayor', '-s', 'second', '-m', 'two']);
    const good = (await readFile(inbox, 'utf8')).split('\n').filter((l) => l && l !== torn);
    const f = await expectFinding(town, 'GT-MAIL-TORN', 'mayor/mail/inbox.jsonl');
    expect(f.message).toContain('line 2 is not JSON');
    expect(f.fixable).toBe(true);
    const out = await fix(town);
    expect(out).toContain('GT-MAIL-TORN mayor/mail/inbox.jsonl: moved line 2 to inbox.jsonl.torn');
    expect(await readFile(inbox, 'utf8')).toBe(good.map((l) => `${l}\n`).join(''));
    expect(await readFile(`${inbox}.torn`, 'utf8')).toBe(`${torn}\n`);
    expect((await town.mail('mayor')).map((m) => m.subject)).toEqual(['first', 'second']);
    expect(await has(town, 'GT-MAIL-TORN', 'mayor/mail/inbox.jsonl')).toBe(false);
  });

  it('GT-BEADS-PARSE: an issues.jsonl that does not parse is reported by line and never touched', async () => {
    town = await TestTown.create();
    await town.createIssue('a real issue');
    const file = path.join(town.root, 'wyvern', '.beads', 'issues.jsonl');
    await appendFile(file, '{"id": "wyvern-zz", "title": \n');
    const before = await readFile(file, 'utf8');
    const f = await expectFinding(town, 'GT-BEADS-PARSE', 'wyvern/.beads/issues.jsonl');
    expect(f).toMatchObject({ severity: 'error', fixable: false });
    expect(f.message).toContain('wyvern/.beads/issues.jsonl:2: not valid JSON');
    const out = await fix(town);
    expect(out).toMatch(/Left for a person:[\s\S]*GT-BEADS-PARSE/);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(await has(town, 'GT-BEADS-PARSE', 'wyvern/.beads/issues.jsonl')).toBe(true);
  });

  // Where a real bd is installed the condition cannot arise; the layout tests cover that side.
  it.skipIf(onPath('bd'))('GT-BEADS-BD-MISSING: a rig whose .beads holds a bd database and no bd on PATH; its export is never touched', async () => {
    town = await TestTown.create();
    await town.createIssue('written before bd took over');
    const beads = path.join(town.root, 'wyvern', '.beads');
    await mkdir(path.join(beads, 'embeddeddolt', 'wyvern', '.dolt'), { recursive: true });
    const before = await readFile(path.join(beads, 'issues.jsonl'), 'utf8');
    const f = await expectFinding(town, 'GT-BEADS-BD-MISSING', 'Rig/wyvern');
    expect(f).toMatchObject({ severity: 'error', fixable: false });
    expect(f.message).toContain('wyvern/.beads holds an embedded Dolt database (embeddeddolt), which only bd reads, and bd is not on PATH');
    expect(f.fix).toContain('install bd');
    // Said once, as the condition it is: not as failures of each controller that reads the rig.
    const all = doctorJson((await town.gt(['doctor', '-o', 'json'])).stdout).findings;
    expect(all.map((x) => x.code)).not.toContain('GT-ACTION-FAILED');
    expect((await town.gt(['status'])).stdout).toContain('Rig wyvern: waits on you: BeadsBdNotOnPath');
    expect((await town.gt(['issues', 'create', 'lost'])).code).toBe(2);
    await fix(town);
    expect(await readFile(path.join(beads, 'issues.jsonl'), 'utf8')).toBe(before);
  });

  it('GT-ORPHAN-SESSION: sessions started by hand on the town socket are reported and left for a person', async () => {
    town = await TestTown.create();
    execFileSync('tmux', [...tmuxServer(town.socket), '-f', '/dev/null', 'new-session', '-d', '-s', 'stray', 'sleep', '600']);
    // gt's metadata for a role the spec does not enable explains nothing either.
    await new Tmux(town.socket, { metaKeys: META_KEYS }).startSession({ name: 'mayor-by-hand', cwd: town.root, env: {}, argv: ['sleep', '600'], meta: { role: 'mayor' } });
    const stray = await expectFinding(town, 'GT-ORPHAN-SESSION', 'stray');
    expect(stray).toMatchObject({ severity: 'warning', fixable: false });
    expect(stray.message).toContain('it has no gt metadata');
    const mayor = await expectFinding(town, 'GT-ORPHAN-SESSION', 'mayor-by-hand');
    expect(mayor.message).toContain('the Town does not enable the mayor');
    const out = await fix(town);
    expect(out).toMatch(/Left for a person:[\s\S]*GT-ORPHAN-SESSION \[warning\] stray/);
    expect(town.liveSessions()).toEqual(['mayor-by-hand', 'stray']);
    expect(await has(town, 'GT-ORPHAN-SESSION', 'stray')).toBe(true);
  });

  it('GT-ZOMBIE-SESSION and GT-STALLED: a crash-looping worker leaves a dead session; --fix ends it only once its clone holds no work', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'crash'], workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 50ms\n    maxRestarts: 0\n    breakerThreshold: 10\n' });
    await town.createIssue('crashes');
    await until(async () => {
      await town!.once();
      return (await town!.records())[0]?.state === 'crashLooping';
    }, 'the crash-loop escalation');
    expect(town.sessions()).toEqual(['gt-wyvern-nux']);
    expect(town.liveSessions()).toEqual([]);

    const stalled = await expectFinding(town, 'GT-STALLED', 'Rig/wyvern');
    expect(stalled).toMatchObject({ severity: 'error', fixable: false });
    expect(stalled.message).toContain('WorkerCrashLooping');

    // Work in the clone: ending the session is refused, and the finding says what to do first.
    const clone = path.join(town.root, 'wyvern', 'polecats', 'nux');
    await writeFile(path.join(clone, 'notes.txt'), 'unsaved\n');
    const withWork = await expectFinding(town, 'GT-ZOMBIE-SESSION', 'gt-wyvern-nux');
    expect(withWork.fixable).toBe(false);
    expect(withWork.message).toContain('its worker nux is crashLooping');
    expect(withWork.fix).toContain('1 uncommitted change');
    await fix(town);
    expect(town.sessions()).toEqual(['gt-wyvern-nux']);

    await rm(path.join(clone, 'notes.txt'));
    expect((await expectFinding(town, 'GT-ZOMBIE-SESSION', 'gt-wyvern-nux')).fixable).toBe(true);
    const out = await fix(town);
    expect(out).toContain('GT-ZOMBIE-SESSION gt-wyvern-nux: ended the session');
    expect(out).toMatch(/Left for a person:[\s\S]*GT-STALLED \[error\] Rig\/wyvern/);
    expect(town.sessions()).toEqual([]);
    expect(existsSync(clone)).toBe(true);
    const left = await findings(town);
    expect(left.some((x) => x.code === 'GT-ZOMBIE-SESSION')).toBe(false);
    expect(left.some((x) => x.code === 'GT-STALLED' && x.subject === 'Rig/wyvern')).toBe(true);
  });

  it('GT-BREAKER-OPEN: a tripped breaker is left for a person (and not reported twice as GT-STALLED)', async () => {
    town = await TestTown.create();
    const { generation } = parseJson<StoredObject>(await readFile(path.join(town.root, '.gt', 'store', 'rig', 'wyvern.json'), 'utf8'));
    const pool = path.join(town.root, '.gt', 'workers', 'wyvern', '_pool.json');
    await mkdir(path.dirname(pool), { recursive: true });
    await writeFile(pool, JSON.stringify({ spawnFailures: 3, breaker: { reason: '3 spawns in a row died within 10s', openedAt: '2024-05-01T10:00:00.000Z', generation } }));
    const f = await expectFinding(town, 'GT-BREAKER-OPEN', 'Rig/wyvern');
    expect(f).toMatchObject({ severity: 'error', fixable: false });
    expect(f.fix).toContain('gt reset-breaker wyvern');
    expect((await town.gt(['doctor'])).stdout).toContain('BreakerOpen');
    const out = await fix(town);
    expect(out).toMatch(/Left for a person:[\s\S]*GT-BREAKER-OPEN/);
    const left = await findings(town);
    expect(left.filter((x) => x.subject === 'Rig/wyvern').map((x) => x.code)).toEqual(['GT-BREAKER-OPEN']);
  });

  it("GT-CLONE-REMOTE: clones whose origin is not the rig's gitUrl are reported and never rewritten", async () => {
    const w = await townWithWorker();
    town = w.t;
    const refinery = path.join(town.root, 'wyvern', 'refinery', 'rig');
    git(['remote', 'set-url', 'origin', '/somewhere/else.git'], w.clone);
    git(['remote', 'set-url', 'origin', '/somewhere/else.git'], refinery);
    const f = await expectFinding(town, 'GT-CLONE-REMOTE', 'wyvern/polecats/nux');
    expect(f).toMatchObject({ severity: 'error', fixable: false });
    expect(f.message).toContain('/somewhere/else.git');
    await expectFinding(town, 'GT-CLONE-REMOTE', 'wyvern/refinery/rig');
    await fix(town);
    expect(git(['remote', 'get-url', 'origin'], w.clone).trim()).toBe('/somewhere/else.git');
    expect(await has(town, 'GT-CLONE-REMOTE', 'wyvern/polecats/nux')).toBe(true);
  });

  it("GT-CLONE-BRANCH: a polecat clone on another branch than its worker's is reported and left", async () => {
    const w = await townWithWorker();
    town = w.t;
    git(['checkout', '-q', '-b', 'side'], w.clone);
    const f = await expectFinding(town, 'GT-CLONE-BRANCH', 'wyvern/polecats/nux');
    expect(f.message).toContain(`branch side, but polecat nux works on polecat/nux/${w.issue}`);
    expect(f.fixable).toBe(false);
    await fix(town);
    expect(git(['branch', '--show-current'], w.clone).trim()).toBe('side');
    expect(await has(town, 'GT-CLONE-BRANCH', 'wyvern/polecats/nux')).toBe(true);
  });

  it("GT-DIRTY-FINISHED-CLONE: a released worker's clone with uncommitted work is reported and kept", async () => {
    const w = await townWithWorker();
    town = w.t;
    await writeFile(path.join(w.clone, 'half-done.txt'), 'work\n');
    expect((await town.gt(['issues', 'close', w.issue])).code).toBe(0);
    await town.once();
    expect(await town.records()).toEqual([]);
    const f = await expectFinding(town, 'GT-DIRTY-FINISHED-CLONE', 'wyvern/polecats/nux');
    expect(f.message).toContain('has 1 uncommitted change');
    expect(f.fixable).toBe(false);
    await fix(town);
    expect(existsSync(path.join(w.clone, 'half-done.txt'))).toBe(true);
    expect(await has(town, 'GT-DIRTY-FINISHED-CLONE', 'wyvern/polecats/nux')).toBe(true);
  });

  it('GT-TMUX-SERVER-MISSING: the server is gone while a worker is working; --fix starts its session again', async () => {
    const w = await townWithWorker('    max: 1\n    spawnDelay: 0s\n    restartBackoff: 100ms\n');
    town = w.t;
    execFileSync('tmux', [...tmuxServer(town.socket), 'kill-server']);
    const f = await expectFinding(town, 'GT-TMUX-SERVER-MISSING', town.socket);
    expect(f.message).toContain('wyvern/polecats/nux');
    expect(f.fixable).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    const out = await fix(town);
    expect(out).toContain('restart polecat nux');
    expect(out).toContain(`GT-TMUX-SERVER-MISSING ${town.socket}: resolved`);
    expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
    expect(await has(town, 'GT-TMUX-SERVER-MISSING', town.socket)).toBe(false);
  });
  it('GT-TMUX-SERVER-MISSING after gt stop --now: the advice is gt start, as the README says', async () => {
    const w = await townWithWorker();
    town = w.t;
    expect((await town.gt(['stop', '--now'])).code).toBe(0);
    const f = await expectFinding(town, 'GT-TMUX-SERVER-MISSING', town.socket);
    expect(f.fix).toContain('gt start');
    expect(f.fix).not.toContain('gt doctor --fix');
    expect(f.fix).not.toContain('gt run');
    expect(f.fixable).toBe(false);
  });

  it("GT-ACTION-FAILED: a rig whose gitUrl does not exist is a finding with git's error and the fix", async () => {
    const dir = await tempDir('gt-doctor-');
    try {
      await writeFile(path.join(dir, 'town.yaml'), townYaml('./town', 'badurl') + '---\n' + rigYaml('wyvern', './no-such-remote.git'));
      const run = (args: string[]) => gtCli([...args, '--town', path.join(dir, 'town')], { cwd: dir });
      expect((await run(['apply', '-f', 'town.yaml'])).code).toBe(1);
      expect(JSON.stringify(objectJson((await run(['get', 'rig', 'wyvern', '-o', 'json'])).stdout).status)).toContain('ActionFailed');
      const text = await run(['doctor']);
      expect(text.code).toBe(1);
      expect(text.stdout).not.toContain('Health: no findings.');
      expect(text.stdout).toContain('! GT-ACTION-FAILED [error] Rig/wyvern');
      const f = doctorJson((await run(['doctor', '-o', 'json'])).stdout).findings.find((x) => x.code === 'GT-ACTION-FAILED');
      expect(f?.subject).toBe('Rig/wyvern');
      expect(f!.message).toContain('no-such-remote.git: no such repository');
      expect(f!.fix).toContain('gitUrl');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('doctor judges (pure)', () => {
  const rig: StoredObject = { manifest: withDefaults('Rig', 'wyvern', { gitUrl: '/r.git' }), generation: 2, createdAt: '', updatedAt: '', lastApplied: {} };
  const facts = (p: Partial<DoctorFacts>): DoctorFacts => ({
    world: { town: undefined, objects: [rig] },
    socket: 's',
    sessions: [],
    workers: {},
    pools: {},
    plans: [],
    stalled: [],
    failures: [],
    clones: [],
    locks: [],
    beads: [],
    repoBeads: [],
    mail: [],
    blockedIssues: [],
    ...p,
  });
  const session = (name: string, dead: boolean, meta: Record<string, string>): SessionInfo => ({
    name,
    created: new Date(0),
    pid: 1,
    dead,
    exitStatus: dead ? 3 : undefined,
    exitSignal: undefined,
    currentCommand: '',
    activity: new Date(0),
    meta,
  });
  const record = (state: WorkerRecord['state']): WorkerRecord => ({
    name: 'nux',
    rig: 'wyvern',
    issueId: 'wyvern-a1',
    branch: 'polecat/nux/wyvern-a1',
    state,
    createdAt: '',
    starts: [],
    nudges: 0,
    rejectedDone: 0,
  });
  const nux = session('gt-wyvern-nux', true, { role: 'polecat', rig: 'wyvern', polecat: 'nux' });

  it('a town whose disk is (nearly) full: GT-DISK-LOW says how much is left and that gt retries', () => {
    const low = judgeHealth(facts({ disk: { root: '/t', freeBytes: 4096, totalBytes: 20 * 1024 * 1024 } }));
    expect(low.map((f) => f.code)).toEqual(['GT-DISK-LOW']);
    expect(judgeHealth(facts({ disk: { root: '/t', freeBytes: 64 * 1024 * 1024, totalBytes: 1 << 30 } }))).toEqual([]);
  });

  it('a dead session is a zombie only when nothing restarts or collects it', () => {
    const codes = (p: Partial<DoctorFacts>) => judgeHealth(facts(p)).map((f) => f.code);
    // A working worker's dead session is restarted by the worker pool.
    expect(codes({ sessions: [nux], workers: { wyvern: [record('working')] } })).toEqual([]);
    // Without a worker, the worker pool's plan stops it (or reports it): not doctor's.
    expect(codes({ sessions: [nux], workers: { wyvern: [] } })).toEqual([]);
    // An escalated worker waits for a person; its session for nobody. Its clone was not seen: unsafe.
    const [z] = judgeHealth(facts({ sessions: [nux], workers: { wyvern: [record('stalled')] } }));
    expect(z).toMatchObject({ code: 'GT-ZOMBIE-SESSION', clone: 'wyvern/polecats/nux', unsafe: 'was not inspected' });
    // A session named like a polecat of a rig gt does not know is nobody's.
    expect(codes({ sessions: [session('gt-other-nux', false, { role: 'polecat', rig: 'other' })] })).toEqual(['GT-ORPHAN-SESSION']);
  });

  it('no GT-TMUX-SERVER-MISSING for sessions whose agent command cannot be started (AgentCommandMissing says it)', () => {
    const withWitness: StoredObject = { ...rig, manifest: withDefaults('Rig', 'wyvern', { gitUrl: '/r.git', witness: { enabled: true } }) };
    const codes = (p: Partial<DoctorFacts>) => judgeHealth(facts({ world: { town: undefined, objects: [withWitness] }, ...p })).map((f) => f.code);
    expect(codes({})).toContain('GT-TMUX-SERVER-MISSING');
    const missing = { key: 'Rig/wyvern' as const, controller: 'sessions', findings: [{ code: 'AgentCommandMissing', message: 'agent command "claude" was not found' }] };
    const found = codes({ plans: [missing] });
    expect(found).not.toContain('GT-TMUX-SERVER-MISSING');
    expect(found).toContain('GT-AGENT-COMMAND-MISSING');
  });

  it('a breaker or a Stalled condition from an older generation of the spec is over', () => {
    const breaker = (generation: number) => ({ wyvern: { spawnFailures: 3, breaker: { reason: 'r', openedAt: 't', generation } } });
    const stalled = (observedGeneration: number) => [
      {
        key: 'Rig/wyvern' as const,
        generation: 2,
        condition: { type: 'Stalled' as const, status: 'True' as const, reason: 'TerminalError', message: 'm', lastTransitionTime: 't', observedGeneration },
      },
    ];
    expect(judgeHealth(facts({ pools: breaker(1), stalled: stalled(1) }))).toEqual([]);
    expect(judgeHealth(facts({ pools: breaker(2), stalled: stalled(2) })).map((f) => f.code)).toEqual(['GT-BREAKER-OPEN', 'GT-STALLED']);
    // Tripped under another effective agent (the Town's agent changed since): over too.
    expect(judgeHealth(facts({ pools: { wyvern: { spawnFailures: 3, breaker: { reason: 'r', openedAt: 't', generation: 2, agent: 'another-agent' } } } }))).toEqual([]);
  });

  it('an issue blocked by its spent merge budget is GT-ISSUE-BLOCKED, and its rig not GT-STALLED twice for it', () => {
    const blockedIssues = [{ rig: 'wyvern', issueId: 'wyvern-a1', rejections: 3, reason: 'tests failed (make test)', blockedAt: 't' }];
    const stalled = [
      {
        key: 'Rig/wyvern' as const,
        generation: 2,
        condition: { type: 'Stalled' as const, status: 'True' as const, reason: 'IssueBlocked', message: 'm', lastTransitionTime: 't', observedGeneration: 2 },
      },
    ];
    const found = judgeHealth(facts({ blockedIssues, stalled }));
    expect(found).toEqual([{ code: 'GT-ISSUE-BLOCKED', ...blockedIssues[0] }]);
    expect(viewOf(found[0]!)).toMatchObject({ subject: 'wyvern/wyvern-a1', severity: 'error', fixable: false });
    expect(viewOf(found[0]!).fix).toContain('gt issues retry wyvern-a1 --rig wyvern');
  });

  it('every controller finding of a plan is a doctor finding, with a fix; none is reported twice', async () => {
    // The codes the controllers can raise, read from their source, so a new one cannot be forgotten.
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = path.join(REPO_ROOT, 'controllers');
    const codes = new Set<string>();
    for (const sub of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(path.join(dir, sub.name)).filter((n) => n.endsWith('.ts'))) {
        for (const m of readFileSync(path.join(dir, sub.name, file), 'utf8').matchAll(/code: ([^,}]+)/g)) {
          for (const c of m[1]!.matchAll(/'([A-Z][A-Za-z]+)'/g)) codes.add(c[1]!);
        }
      }
    }
    expect(codes.size).toBeGreaterThan(10);
    for (const code of codes) {
      const found = judgeHealth(facts({ plans: [{ key: 'Rig/wyvern', controller: 'c', findings: [{ code, message: `about ${code}` }] }] })).map(viewOf);
      expect(found, code).toHaveLength(1);
      expect(found[0]!.message, code).toContain(`about ${code}`);
      expect(found[0]!.fix, code).not.toBe('');
    }
    // The Stalled condition a finding sets is that same finding, said once.
    const stalled = [
      {
        key: 'Rig/wyvern' as const,
        generation: 2,
        condition: { type: 'Stalled' as const, status: 'True' as const, reason: 'WorkerStalled', message: 'm', lastTransitionTime: 't', observedGeneration: 2 },
      },
    ];
    expect(judgeHealth(facts({ stalled, plans: [{ key: 'Rig/wyvern', controller: 'workers', findings: [{ code: 'WorkerStalled', message: 'm' }] }] })).map((f) => f.code)).toEqual(['GT-STALLED']);
  });

  it('torn lines are split off by number; every other line keeps its bytes', () => {
    expect(splitTorn('{"a":1}\n{"b":\n\n {"c": 2} \n{"d"')).toEqual({
      kept: ['{"a":1}', '', ' {"c": 2} '],
      torn: [
        { line: 2, text: '{"b":' },
        { line: 5, text: '{"d"' },
      ],
    });
  });
});
