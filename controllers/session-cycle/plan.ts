import { commandMissingMessage } from '../../src/agents/command.js';
import { AGENT_RETRY_MS, conditionMessage, recogniseScreen, SCREEN_CHECKS_MS } from '../../src/agents/screens.js';
import type { ActionText, Finding, Plan } from '../../src/engine/controller.js';
import type { SessionDetail } from '../../src/sessions/detail.js';
import { CRASH_WINDOW_MS, crashChain, isCrashLoop, restartBackoffMs } from '../../src/util/crash-chain.js';
import { describeSessionAction, type SessionAction } from './actions.js';
import type { DesiredSession } from './desired.js';
import type { SessionFacts, SessionsObserved } from './observe.js';

/** A missing agent command is looked for again this often (it may be installed meanwhile). */
const COMMAND_RECHECK_MS = 30_000;

interface Acc {
  actions: SessionAction[];
  findings: Finding[];
  notes: string[];
  pending: ActionText[];
  requeue: number[];
}

/** Pure: what to do about each long-running session of one object (DESIGN.md §4 session-cycle). */
export function planSessions(desired: DesiredSession[], o: SessionsObserved, generation: number): Plan<SessionAction> {
  const acc: Acc = { actions: [], findings: [], notes: [], pending: [], requeue: [] };
  const details: SessionDetail[] = [];
  for (const d of desired) {
    const x = o.sessions[d.name] ?? { state: {}, unread: { count: 0 } };
    planOne(d, x, o.now, generation, o.contractReady, acc);
    details.push(detail(d, x, o.now, generation));
  }
  return {
    actions: acc.actions,
    findings: acc.findings,
    notes: acc.notes,
    ...(acc.pending.length ? { pending: acc.pending, notReady: { reason: 'WaitingForIdle', message: acc.notes.join('; ') || acc.pending.map((a) => a.text).join('; ') } } : {}),
    ...(acc.requeue.length ? { requeueAfterMs: Math.max(100, Math.min(...acc.requeue)) } : {}),
    details: { sessions: details },
  };
}

function planOne(d: DesiredSession, x: SessionFacts, now: number, generation: number, contractReady: boolean, acc: Acc): void {
  const r = x.record;
  const t = x.tmux;
  const quietFor = t?.alive ? now - t.activityAt : Infinity;
  const idle = quietFor >= d.settings.idleAfterMs;
  const waitIdle = () => acc.requeue.push(Math.max(100, d.settings.idleAfterMs - quietFor));

  if (!d.enabled) {
    if (!t) return;
    if (!t.alive) {
      acc.actions.push({ type: 'endSession', session: d.name, why: `${d.why}; its agent has exited`, writeHandoff: false });
      return;
    }
    if (!r?.stopRequestedAt) {
      acc.actions.push({ type: 'requestHandoff', session: d.name, why: d.why ?? 'stopped' });
      return;
    }
    const asked = Date.parse(r.stopRequestedAt);
    const handedOff = !!x.state.handoff && Date.parse(x.state.handoff.at) >= asked;
    const waited = now - asked;
    if ((handedOff || waited >= d.settings.handoffTimeoutMs) && idle) {
      acc.actions.push({ type: 'endSession', session: d.name, why: d.why ?? 'stopped', writeHandoff: !handedOff });
      return;
    }
    acc.pending.push(describeSessionAction({ type: 'endSession', session: d.name, why: d.why ?? 'stopped', writeHandoff: false }));
    acc.notes.push(`session ${d.name} ends ${handedOff ? 'at its next idle point' : `after its handoff (at most ${Math.ceil((d.settings.handoffTimeoutMs - waited) / 1000)}s more) at an idle point`}`);
    acc.requeue.push(handedOff ? Math.max(100, d.settings.idleAfterMs - quietFor) : Math.max(100, Math.min(d.settings.handoffTimeoutMs - waited, 1000)));
    return;
  }

  if (agentConditionHolds(d, x, now, acc)) return;

  const crashLoop = crashLoopHolds(r, d, generation) ? r!.crashLoop : undefined;
  if (crashLoop && !t?.alive) {
    acc.findings.push({
      code: 'SessionCrashLooping',
      message: `session ${d.name} died again after ${d.settings.maxRestarts} restarts without staying up 10 minutes and was left stopped at ${crashLoop.at}; fix its agent command, then change the spec or run gt stop/gt start`,
    });
    return;
  }

  if (!t?.alive && !contractReady) {
    // An agent started before .gt/bin/gt exists could not call gt, and would die as a crash.
    acc.notes.push(`session ${d.name} starts once the town layout (.gt/bin/gt) is ready`);
    acc.requeue.push(500);
    return;
  }
  if (!t?.alive && x.command && !x.command.ok) {
    // Not a crash: nothing is started (or restarted) until the spec or the machine changes.
    const died = t && (t.exitStatus === 126 || t.exitStatus === 127) ? { session: d.name, status: t.exitStatus } : undefined;
    acc.findings.push({ code: 'AgentCommandMissing', message: commandMissingMessage(x.command, `session ${d.name}`, died) });
    acc.requeue.push(COMMAND_RECHECK_MS);
    return;
  }
  if (!t?.alive) {
    // Ended by gt on purpose (a cycle interrupted by a crash of gt, or a stop now lifted), never started, or died by itself.
    const crashed = !!r && r.starts.length > 0 && !r.ending && !r.stoppedAt;
    if (!crashed) {
      acc.actions.push({ type: 'startSession', session: d.name, reason: r?.ending && r.ending.reason !== 'stop' ? r.ending.reason : r?.stoppedAt || r?.ending ? 'resume' : 'start' });
      return;
    }
    const lastStart = Date.parse(r.starts[r.starts.length - 1]!);
    // Crashes in an unbroken chain, each within 10 minutes of the next: a session that never
    // stays up 10 minutes is a crash loop however slowly it dies. A crash is recorded when its
    // restart starts, so this death is one more than the chain holds.
    // Crashes before a crash loop that was re-armed (new spec or agent) start no new chain.
    const loopAt = r.crashLoop?.at;
    const deaths = crashChain(loopAt ? r.crashes.filter((c) => c > loopAt) : r.crashes, now, CRASH_WINDOW_MS) + 1;
    if (isCrashLoop(deaths, d.settings.maxRestarts)) {
      acc.actions.push({ type: 'escalateCrashLoop', session: d.name, crashes: deaths });
      return;
    }
    const wait = restartBackoffMs(d.settings.restartBackoffMs, deaths) - (now - lastStart);
    if (wait > 0) {
      acc.notes.push(`session ${d.name} ${t ? 'exited' : 'is gone'}; restart in ${Math.ceil(wait / 1000)}s (crash ${deaths} without 10 minutes up)`);
      acc.requeue.push(wait);
      return;
    }
    acc.actions.push({ type: 'startSession', session: d.name, reason: 'crashed' });
    return;
  }

  if (r?.stopRequestedAt || r?.stoppedAt) acc.actions.push({ type: 'clearStop', session: d.name });
  const cycle: SessionAction | undefined = x.state.requesting_cycle
    ? { type: 'cycleSession', session: d.name, reason: 'handoff', detail: 'the agent handed off' }
    : t.fingerprint !== d.launch.fingerprint
      ? { type: 'cycleSession', session: d.name, reason: 'drift', detail: `the spec changed (fingerprint ${t.fingerprint ?? 'none'} -> ${d.launch.fingerprint})` }
      : undefined;
  if (cycle) {
    // Never mid-turn: a session is cycled only once its pane has been quiet for idleAfter.
    if (idle) acc.actions.push(cycle);
    else {
      acc.pending.push({ ...describeSessionAction(cycle), text: `${describeSessionAction(cycle).text}, at its next idle point` });
      waitIdle();
    }
    return;
  }
  if (x.unread.newest && x.unread.newest !== r?.notifiedMailId) {
    if (idle) acc.actions.push({ type: 'notifyMail', session: d.name, unread: x.unread.count, newest: x.unread.newest });
    else waitIdle();
  }
}

function detail(d: DesiredSession, x: SessionFacts, now: number, generation: number): SessionDetail {
  const t = x.tmux;
  const r = x.record;
  const state: SessionDetail['state'] =
    d.enabled && !t?.alive && x.command && !x.command.ok
      ? 'commandMissing'
      : crashLoopHolds(r, d, generation) && !t?.alive
        ? 'crashLooping'
        : !d.enabled
          ? t?.alive
            ? 'stopping'
            : r?.stoppedAt
              ? 'stopped'
              : 'disabled'
          : !t?.alive
            ? 'dead'
            : now - t.activityAt >= d.settings.idleAfterMs
              ? 'idle'
              : 'running';
  return {
    name: d.name,
    role: d.role,
    address: d.address,
    state,
    ...(x.state.heartbeat ? { heartbeat: x.state.heartbeat } : {}),
    ...(t ? { activityAt: new Date(t.activityAt).toISOString() } : {}),
    drifted: !!t?.alive && t.fingerprint !== d.launch.fingerprint,
    restarts: r?.crashes.length ?? 0,
  };
}

/**
 * A preset's agent whose screen shows a condition (offline, no login, refusing to run as root):
 * a finding with its fix, escalated once per launch, never typed into, cycled or counted as a
 * crash. A dead pane showing one is started again after AGENT_RETRY_MS, or at once when the
 * launch changed (the Overseer's fix). Until the start-up checks are over, the plan comes back at
 * each. Returns whether the condition decides everything for this session now.
 */
function agentConditionHolds(d: DesiredSession, x: SessionFacts, now: number, acc: Acc): boolean {
  const t = x.tmux;
  const r = x.record;
  const preset = d.launch.preset;
  if (!preset || !t) return false;
  const started = r?.starts.length ? Date.parse(r.starts[r.starts.length - 1]!) : undefined;
  const next = started === undefined ? undefined : SCREEN_CHECKS_MS.find((c) => c > now - started);
  if (t.alive && next !== undefined && started !== undefined) acc.requeue.push(next - (now - started));
  const seen = x.screen !== undefined ? recogniseScreen(preset.name, x.screen) : undefined;
  if (!seen) {
    if (r?.agentCondition && t.alive && x.screen !== undefined && next === undefined) acc.actions.push({ type: 'clearAgentCondition', session: d.name });
    return false;
  }
  const message = conditionMessage(`session ${d.name}`, preset.name, seen);
  acc.findings.push({ code: seen.code, message });
  const current = t.fingerprint === d.launch.fingerprint;
  if (current && (r?.agentCondition?.code !== seen.code || r.agentCondition.fingerprint !== d.launch.fingerprint))
    acc.actions.push({ type: 'reportAgentCondition', session: d.name, code: seen.code, message });
  // The screen of an earlier launch: the fix may be in the new one. Cycled (alive) or started (dead) at once.
  if (!current) {
    acc.actions.push(
      t.alive ? { type: 'cycleSession', session: d.name, reason: 'drift', detail: `its agent changed since it showed ${seen.code}` } : { type: 'startSession', session: d.name, reason: 'drift' },
    );
    return true;
  }
  if (!t.alive) {
    const since = r?.agentCondition ? now - Date.parse(r.agentCondition.at) : 0;
    if (since >= AGENT_RETRY_MS) acc.actions.push({ type: 'startSession', session: d.name, reason: 'resume' });
    else {
      acc.notes.push(`session ${d.name} is tried again in ${Math.ceil((AGENT_RETRY_MS - since) / 1000)}s (${seen.code})`);
      acc.requeue.push(AGENT_RETRY_MS - since);
    }
  }
  return true;
}

/** Left stopped under this spec: a new generation, or a new agent launch (a Town agent change too), re-arms it. */
function crashLoopHolds(r: SessionFacts['record'], d: DesiredSession, generation: number): boolean {
  return !!r?.crashLoop && r.crashLoop.generation === generation && (r.crashLoop.fingerprint === undefined || r.crashLoop.fingerprint === d.launch.fingerprint);
}
