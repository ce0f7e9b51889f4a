import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { preset } from '../../src/agents/presets.js';
import { REPO_ROOT } from '../support/town.js';
import type { DesiredSession } from '../../controllers/session-cycle/desired.js';
import type { SessionFacts, SessionsObserved } from '../../controllers/session-cycle/observe.js';
import { planSessions } from '../../controllers/session-cycle/plan.js';
import type { SessionRecord } from '../../src/sessions/records.js';

// Every branch of the session cycle's plan for one session, as (desired, facts) -> actions,
// findings, notes and when to look again. The clock is `now`; nothing waits.

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const GEN = 4;

const base: DesiredSession = {
  name: 'gt-wyvern-witness',
  role: 'witness',
  rig: 'wyvern',
  address: 'wyvern/witness',
  home: '/town/wyvern/witness',
  promptFile: '/town/.gt/prompts/wyvern/gt-wyvern-witness.md',
  instructions: 'watch',
  launch: { argv: ['agent'], env: {}, fingerprint: 'fp' },
  enabled: true,
  // idle after 10 s quiet, 30 s to hand off, restart backoff 5 s doubling, 3 restarts
  settings: { idleAfterMs: 10_000, handoffTimeoutMs: 30_000, restartBackoffMs: 5_000, maxRestarts: 3 },
};
const claude: DesiredSession = { ...base, launch: { ...base.launch, preset: preset('claude') } };
const REFUSAL = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'agent-screens', 'claude', 'refuses-root.txt'), 'utf8');
const stopped: DesiredSession = { ...base, enabled: false, why: 'rig wyvern is stopped (gt start wyvern resumes it)' };

const alive = (quietS: number, fingerprint = 'fp'): SessionFacts['tmux'] => ({ alive: true, activityAt: now - quietS * 1000, fingerprint });
const deadPane = (exitStatus?: number): SessionFacts['tmux'] => ({ alive: false, activityAt: now - 60_000, fingerprint: 'fp', ...(exitStatus !== undefined ? { exitStatus } : {}) });
const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({ name: base.name, starts: [ago(3600)], crashes: [], fingerprint: 'fp', ...over });
const missing = { ok: false as const, command: 'agent', problem: 'notFound' as const, searched: ['/usr/bin'] };

interface Case {
  name: string;
  d?: DesiredSession;
  x: Partial<SessionFacts>;
  contractReady?: boolean;
  actions: object[];
  findings?: string[];
  notes?: RegExp;
  requeueAfterMs?: number;
  waitingForIdle?: boolean;
}

const cases: Case[] = [
  // Enabled, not running
  { name: 'never started: start it', x: {}, actions: [{ type: 'startSession', reason: 'start' }] },
  { name: 'stopped by gt earlier, now enabled again: resume', x: { record: record({ stoppedAt: ago(60) }) }, actions: [{ type: 'startSession', reason: 'resume' }] },
  {
    name: 'a cycle interrupted (gt ended it for a handoff, then died): start it for the handoff',
    x: { record: record({ ending: { reason: 'handoff', at: ago(5) } }) },
    actions: [{ type: 'startSession', reason: 'handoff' }],
  },
  { name: 'ended for a stop now lifted: resume', x: { record: record({ ending: { reason: 'stop', at: ago(5) } }) }, actions: [{ type: 'startSession', reason: 'resume' }] },
  { name: 'the town layout is not ready: wait for the gt shim', x: {}, contractReady: false, actions: [], notes: /starts once the town layout/, requeueAfterMs: 500 },
  {
    name: 'its agent command is missing: no start, a finding, looked for again later',
    x: { command: missing },
    actions: [],
    findings: ['AgentCommandMissing'],
    requeueAfterMs: 30_000,
  },
  {
    name: 'its pane died with 127 and the command is missing: the same finding, no restart',
    x: { tmux: deadPane(127), record: record({ starts: [ago(20)] }), command: missing },
    actions: [],
    findings: ['AgentCommandMissing'],
    requeueAfterMs: 30_000,
  },
  // Crashes: backoff, then the crash loop
  {
    name: 'first death, within the backoff (5 s since the start): wait',
    x: { tmux: deadPane(1), record: record({ starts: [ago(2)] }) },
    actions: [],
    notes: /restart in 3s \(crash 1/,
    requeueAfterMs: 3000,
  },
  { name: 'first death, the backoff over: restart', x: { tmux: deadPane(1), record: record({ starts: [ago(6)] }) }, actions: [{ type: 'startSession', reason: 'crashed' }] },
  { name: 'gone from tmux altogether counts as a death', x: { record: record({ starts: [ago(6)] }) }, actions: [{ type: 'startSession', reason: 'crashed' }] },
  {
    name: 'second death in the chain: the backoff doubles (10 s)',
    x: { tmux: deadPane(1), record: record({ starts: [ago(60), ago(8)], crashes: [ago(8)] }) },
    actions: [],
    notes: /restart in 2s \(crash 2/,
    requeueAfterMs: 2000,
  },
  {
    name: 'a death after 10 minutes up starts a new chain',
    x: { tmux: deadPane(1), record: record({ starts: [ago(3600), ago(1200)], crashes: [ago(1200)] }) },
    actions: [{ type: 'startSession', reason: 'crashed' }],
  },
  {
    name: 'maxRestarts restarts and it died again: left stopped, escalated',
    x: { tmux: deadPane(1), record: record({ starts: [ago(400), ago(300), ago(200), ago(100)], crashes: [ago(300), ago(200), ago(100)] }) },
    actions: [{ type: 'escalateCrashLoop', crashes: 4 }],
  },
  {
    name: 'left stopped under this spec: a finding, nothing started',
    x: { tmux: deadPane(1), record: record({ crashes: [ago(300)], crashLoop: { at: ago(100), generation: GEN, fingerprint: 'fp' } }) },
    actions: [],
    findings: ['SessionCrashLooping'],
  },
  {
    name: 'a new generation of the spec re-arms a crash loop, and older crashes start no chain',
    x: { tmux: deadPane(1), record: record({ starts: [ago(400), ago(300), ago(200), ago(100)], crashes: [ago(300), ago(200), ago(100)], crashLoop: { at: ago(50), generation: GEN - 1 } }) },
    actions: [{ type: 'startSession', reason: 'crashed' }],
  },
  {
    name: 'a new agent (fingerprint) re-arms it too',
    x: { tmux: deadPane(1), record: record({ starts: [ago(100)], crashLoop: { at: ago(50), generation: GEN, fingerprint: 'old' } }) },
    actions: [{ type: 'startSession', reason: 'crashed' }],
  },
  // Enabled and running
  { name: 'running as specified: nothing', x: { tmux: alive(1), record: record() }, actions: [] },
  { name: 'running after a stop was lifted: the stop record is cleared', x: { tmux: alive(1), record: record({ stopRequestedAt: ago(5) }) }, actions: [{ type: 'clearStop' }] },
  { name: 'the agent handed off and is idle: cycled', x: { tmux: alive(11), record: record(), state: { requesting_cycle: true } }, actions: [{ type: 'cycleSession', reason: 'handoff' }] },
  {
    name: 'the agent handed off but is mid-turn: cycled at its next idle point',
    x: { tmux: alive(4), record: record(), state: { requesting_cycle: true } },
    actions: [],
    requeueAfterMs: 6000,
    waitingForIdle: true,
  },
  { name: 'the spec changed and it is idle: cycled for drift', x: { tmux: alive(11, 'old'), record: record() }, actions: [{ type: 'cycleSession', reason: 'drift' }] },
  { name: 'the spec changed mid-turn: not now', x: { tmux: alive(0, 'old'), record: record() }, actions: [], requeueAfterMs: 10_000, waitingForIdle: true },
  { name: 'new mail and idle: the agent is told', x: { tmux: alive(11), record: record(), unread: { count: 2, newest: 'm2' } }, actions: [{ type: 'notifyMail', unread: 2, newest: 'm2' }] },
  { name: 'new mail mid-turn: told at the next idle point', x: { tmux: alive(3), record: record(), unread: { count: 1, newest: 'm2' } }, actions: [], requeueAfterMs: 7000 },
  { name: 'mail it was already told of: nothing', x: { tmux: alive(11), record: record({ notifiedMailId: 'm2' }), unread: { count: 1, newest: 'm2' } }, actions: [] },
  // Not enabled (stopped, suspended, being removed)
  { name: 'stopped and not running: nothing', d: stopped, x: {}, actions: [] },
  { name: 'stopped, its pane already dead: ended without a handoff note', d: stopped, x: { tmux: deadPane(0) }, actions: [{ type: 'endSession', writeHandoff: false }] },
  { name: 'stopped while running: asked to hand off first', d: stopped, x: { tmux: alive(1), record: record() }, actions: [{ type: 'requestHandoff', why: stopped.why }] },
  {
    name: 'asked, handed off, idle: ended, its own note kept',
    d: stopped,
    x: { tmux: alive(11), record: record({ stopRequestedAt: ago(20) }), state: { handoff: { messageId: 'h1', at: ago(15), by: 'agent' } } },
    actions: [{ type: 'endSession', writeHandoff: false }],
  },
  {
    name: 'asked, handed off, but mid-turn: ended at its next idle point',
    d: stopped,
    x: { tmux: alive(2), record: record({ stopRequestedAt: ago(20) }), state: { handoff: { messageId: 'h1', at: ago(15), by: 'agent' } } },
    actions: [],
    notes: /ends at its next idle point/,
    requeueAfterMs: 8000,
    waitingForIdle: true,
  },
  {
    name: 'asked, no handoff within the timeout, idle: ended, gt writes the note',
    d: stopped,
    x: { tmux: alive(11), record: record({ stopRequestedAt: ago(31) }) },
    actions: [{ type: 'endSession', writeHandoff: true }],
  },
  {
    name: 'asked, no handoff yet, within the timeout: waits (looked at again within a second)',
    d: stopped,
    x: { tmux: alive(11), record: record({ stopRequestedAt: ago(20) }) },
    actions: [],
    notes: /after its handoff \(at most 10s more\)/,
    requeueAfterMs: 1000,
    waitingForIdle: true,
  },
  {
    name: 'a handoff from before the stop was asked does not count',
    d: stopped,
    x: { tmux: alive(11), record: record({ stopRequestedAt: ago(20) }), state: { handoff: { messageId: 'h0', at: ago(25), by: 'agent' } } },
    actions: [],
    requeueAfterMs: 1000,
    waitingForIdle: true,
  },
  // A preset's agent whose screen shows a condition (the root refusal recorded from Claude Code)
  {
    name: 'its agent refuses to run as root (dead pane): escalated once, not restarted as a crash',
    d: claude,
    x: { tmux: deadPane(1), record: record({ starts: [ago(5)] }), screen: REFUSAL },
    actions: [{ type: 'reportAgentCondition', code: 'AgentRefusesRoot' }],
    findings: ['AgentRefusesRoot'],
    notes: /tried again in 300s/,
    requeueAfterMs: 300_000,
  },
  {
    name: 'the same refusal already escalated under this launch: nothing more until the retry time',
    d: claude,
    x: { tmux: deadPane(1), record: record({ starts: [ago(60)], agentCondition: { code: 'AgentRefusesRoot', at: ago(60), fingerprint: 'fp' } }), screen: REFUSAL },
    actions: [],
    findings: ['AgentRefusesRoot'],
    notes: /tried again in 240s/,
    requeueAfterMs: 240_000,
  },
  {
    name: 'the launch changed since (IS_SANDBOX=1 put in agent.env): started again at once, not a crash, not escalated again',
    d: { ...claude, launch: { ...claude.launch, fingerprint: 'fp2' } },
    x: { tmux: deadPane(1), record: record({ starts: [ago(60)], agentCondition: { code: 'AgentRefusesRoot', at: ago(60), fingerprint: 'fp' } }), screen: REFUSAL },
    actions: [{ type: 'startSession', reason: 'drift' }],
    findings: ['AgentRefusesRoot'],
  },
];

describe('planSessions (pure): one session, every branch', () => {
  it.each(cases)('$name', (c) => {
    const d = c.d ?? base;
    const o: SessionsObserved = { root: '/town', inheritedPath: '/usr/bin', now, contractReady: c.contractReady ?? true, sessions: { [d.name]: { state: {}, unread: { count: 0 }, ...c.x } } };
    const p = planSessions([d], o, GEN);
    expect(p.actions).toHaveLength(c.actions.length);
    c.actions.forEach((a, i) => expect(p.actions[i]).toMatchObject({ session: d.name, ...a }));
    expect(p.findings.map((f) => f.code)).toEqual(c.findings ?? []);
    if (c.notes) expect(p.notes!.join('\n')).toMatch(c.notes);
    expect(p.requeueAfterMs).toBe(c.requeueAfterMs);
    expect(p.notReady?.reason).toBe(c.waitingForIdle ? 'WaitingForIdle' : undefined);
  });

  it('several sessions: the earliest time to look again wins', () => {
    const a = { ...base, name: 'a' };
    const b = { ...base, name: 'b' };
    const o: SessionsObserved = {
      root: '/town',
      inheritedPath: '/usr/bin',
      now,
      contractReady: true,
      sessions: {
        a: { tmux: deadPane(1), record: record({ name: 'a', starts: [ago(1)] }), state: {}, unread: { count: 0 } },
        b: { tmux: alive(4, 'old'), record: record({ name: 'b' }), state: {}, unread: { count: 0 } },
      },
    };
    expect(planSessions([a, b], o, GEN).requeueAfterMs).toBe(4000);
  });
});
