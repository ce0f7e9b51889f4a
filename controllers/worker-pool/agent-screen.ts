import { AGENT_RETRY_MS, CONDITIONS, conditionMessage, recogniseScreen, SCREEN_CHECKS_MS, type ScreenCondition } from '../../src/agents/screens.js';

export { SCREEN_SCROLLBACK } from '../../src/agents/screens.js';
import type { PresetName } from '../../src/agents/presets.js';
import type { Plan } from '../../src/engine/controller.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import type { WorkerAction } from './actions.js';
import type { PoolObserved, SessionView } from './observed.js';

/** A session this old that shows no condition proves the agent can start: until one has, one polecat starts at a time. */
export const PROVEN_AFTER_MS = SCREEN_CHECKS_MS[2]!;

/** The last start of the worker's agent, a retry after a condition included. */
function startedAt(r: WorkerRecord): number {
  const last = r.starts[r.starts.length - 1];
  return Math.max(last ? Date.parse(last) : Date.parse(r.createdAt), r.agentCondition?.retriedAt ? Date.parse(r.agentCondition.retriedAt) : 0);
}

/**
 * Pure: whether observe should read this worker's screen now. Only a few times after a start, for
 * a dead pane (its last screen says why it ended), a worker with a condition (to see it clear) or
 * one that looks stuck: never every pane on every pass.
 */
export function screenWanted(r: WorkerRecord, session: SessionView | undefined, now: number, stuckAfterMs: number): boolean {
  if (!session) return false;
  if (!session.alive || r.agentCondition) return true;
  if (now - startedAt(r) <= SCREEN_CHECKS_MS[SCREEN_CHECKS_MS.length - 1]! + 1000) return true;
  return now - session.activityAt >= stuckAfterMs;
}

/** Actions the plan made for a worker that its condition explains: no nudge, no stuck escalation, no restart counted as a crash. */
function explained(a: WorkerAction, name: string): boolean {
  return 'name' in a && a.name === name && (a.type === 'nudge' || a.type === 'askStuckPlugin' || a.type === 'escalate' || a.type === 'restartSession');
}

/**
 * Pure: the plan corrected by what the workers' screens show (`preset`: the rig's agent preset;
 * `agent`: its current fingerprint). A recognised condition is a finding with its own code and
 * fix, escalated once (reportAgentCondition records it); it is neither stuck nor a crash. A
 * rig-wide one holds new spawns until it clears or the agent changes. A dead pane with a
 * condition is started again after AGENT_RETRY_MS, or at once when the agent changed, without
 * counting a start; a condition the screen no longer shows once the start-up checks are over is
 * cleared. The plan comes back at the next screen check of a fresh session.
 */
export function gateOnAgentScreens(plan: Plan<WorkerAction>, o: PoolObserved, preset: PresetName | undefined, agent: string): Plan<WorkerAction> {
  if (!preset) return plan;
  let actions = plan.actions;
  const findings = [...plan.findings];
  const requeue: number[] = plan.requeueAfterMs !== undefined ? [plan.requeueAfterMs] : [];
  const conditions: Record<string, string> = {};
  let holdBy: string | undefined;
  let proven = false;
  let starting: string | undefined;
  for (const r of o.records) {
    const session = o.sessions.find((s) => s.polecat === r.name);
    const age = o.now - startedAt(r);
    const next = SCREEN_CHECKS_MS.find((t) => t > age);
    if (session?.alive && next !== undefined) requeue.push(next - age);
    const seen: ScreenCondition | undefined = session?.screen !== undefined ? recogniseScreen(preset, session.screen) : undefined;
    if (!seen && session?.alive && session.agent === agent && !r.agentCondition) {
      if (age >= PROVEN_AFTER_MS) proven = true;
      else starting ??= r.name;
    }
    if (!seen) {
      // Cleared: the agent runs past its start-up without showing it (a dead pane is the crash path's).
      if (r.agentCondition && session?.alive && session.screen !== undefined && next === undefined) actions = [...actions, { type: 'clearAgentCondition', name: r.name }];
      else if (r.agentCondition && CONDITIONS[r.agentCondition.code].rigWide && r.agentCondition.agent === agent)
        holdBy ??= `polecat ${r.name}'s agent ${CONDITIONS[r.agentCondition.code].what} (${r.agentCondition.code})`;
      continue;
    }
    const message = conditionMessage(`polecat ${r.name}`, preset, seen);
    conditions[r.name] = seen.code;
    findings.push({ code: seen.code, message });
    actions = actions.filter((a) => !explained(a, r.name));
    // The screen of a session started with an earlier agent is old news once the agent changed:
    // that session is started again below, and only what the new agent shows is reported.
    const changed = session!.agent !== undefined && session!.agent !== agent;
    if (r.agentCondition?.code !== seen.code || (r.agentCondition.agent !== agent && !changed)) actions.push({ type: 'reportAgentCondition', name: r.name, code: seen.code, message, agent });
    if (session!.alive && changed) {
      // Still at its login or dialog screen under the old agent: the fix (an API key in agent.env, say) reaches it only in a new session.
      actions.push({ type: 'restartSession', name: r.name, reason: `its agent changed since it showed ${seen.code}`, earlyDeath: false, retry: true });
    } else if (!session!.alive) {
      const since = r.agentCondition ? o.now - Date.parse(r.agentCondition.retriedAt ?? r.agentCondition.at) : 0;
      if (changed || (r.agentCondition?.code === seen.code && since >= AGENT_RETRY_MS))
        actions.push({
          type: 'restartSession',
          name: r.name,
          reason: changed ? 'its agent changed since it showed ' + seen.code : `trying its agent again after ${seen.code}`,
          earlyDeath: false,
          retry: true,
        });
      else requeue.push(AGENT_RETRY_MS - since);
    }
    if (CONDITIONS[seen.code].rigWide && (session!.agent === undefined || session!.agent === agent)) holdBy ??= `polecat ${r.name}'s agent ${CONDITIONS[seen.code].what} (${seen.code})`;
  }
  // Until a session of this agent has run past its start-up screens, one polecat tries it: an
  // agent that cannot work (offline, no login) would show the same in every session.
  const fresh = actions.filter((a): a is Extract<WorkerAction, { type: 'spawnWorker' }> => a.type === 'spawnWorker' && !o.records.some((r) => r.name === a.name));
  const canary = !proven && !holdBy && !o.records.length ? fresh.slice(0, 1) : [];
  if (!proven && !holdBy && fresh.length > canary.length) {
    const first = starting ?? o.records[0]?.name ?? fresh[0]!.name;
    holdBy = `polecat ${first}'s agent starts first (its screen is read for ${PROVEN_AFTER_MS / 1000}s before more polecats start)`;
  }
  if (holdBy) {
    const held = fresh.filter((a) => !canary.includes(a));
    if (held.length) plan = { ...plan, notes: [...(plan.notes ?? []), `${o.ready.length} ready issue(s) wait: ${holdBy}`] };
    actions = actions.filter((a) => !(held as WorkerAction[]).includes(a));
  }
  const details = plan.details as { workers?: { name: string }[] } | undefined;
  return {
    ...plan,
    actions,
    findings,
    ...(requeue.length ? { requeueAfterMs: Math.max(50, Math.min(...requeue)) } : {}),
    ...(details?.workers ? { details: { ...details, workers: details.workers.map((w) => (conditions[w.name] ? { ...w, condition: conditions[w.name] } : w)) } } : {}),
  };
}
