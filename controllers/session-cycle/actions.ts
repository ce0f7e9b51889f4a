import type { AgentConditionCode } from '../../src/agents/screens.js';
import type { ActionText } from '../../src/engine/controller.js';

/** The session-cycle controller's actions: a closed union, each one session by name. */
export type SessionAction =
  | { type: 'startSession'; session: string; reason: 'start' | 'crashed' | 'handoff' | 'drift' | 'resume' }
  | { type: 'cycleSession'; session: string; reason: 'handoff' | 'drift'; detail: string }
  | { type: 'requestHandoff'; session: string; why: string }
  | { type: 'endSession'; session: string; why: string; writeHandoff: boolean }
  | { type: 'clearStop'; session: string }
  | { type: 'notifyMail'; session: string; unread: number; newest: string }
  | { type: 'escalateCrashLoop'; session: string; crashes: number }
  /** The agent's screen shows a condition (offline, no login, ...): escalated once, recorded under its launch. */
  | { type: 'reportAgentCondition'; session: string; code: AgentConditionCode; message: string }
  /** The agent runs past its start-up without showing the condition any more. */
  | { type: 'clearAgentCondition'; session: string }
  /** A deleted Plugin whose session has ended: its record leaves the store. */
  | { type: 'finalizePlugin'; name: string };

export function describeSessionAction(a: SessionAction): ActionText {
  switch (a.type) {
    case 'startSession':
      return { op: '+', text: `start session ${a.session}${a.reason === 'start' ? '' : ` (${startWhy[a.reason]})`}` };
    case 'cycleSession':
      return { op: '~', text: `cycle session ${a.session}: ${a.detail}` };
    case 'requestHandoff':
      return { op: '~', text: `ask session ${a.session} to hand off (${a.why})` };
    case 'endSession':
      return { op: '-', text: `end session ${a.session} (${a.why})${a.writeHandoff ? '; it did not hand off in time, gt writes the handoff note' : ', after its handoff'}` };
    case 'clearStop':
      return { op: '~', text: `keep session ${a.session}: the spec wants it again` };
    case 'notifyMail':
      return { op: '~', text: `tell session ${a.session} about ${a.unread} unread message${a.unread === 1 ? '' : 's'}` };
    case 'escalateCrashLoop':
      return { op: '~', text: `leave session ${a.session} stopped and escalate: it crashed ${a.crashes} times without staying up 10 minutes` };
    case 'reportAgentCondition':
      return { op: '~', text: `escalate session ${a.session}: its agent shows ${a.code}` };
    case 'clearAgentCondition':
      return { op: '~', text: `session ${a.session}: its agent's condition has cleared` };
    case 'finalizePlugin':
      return { op: '-', text: `remove Plugin/${a.name} (its session has ended)` };
  }
}

const startWhy: Record<Extract<SessionAction, { type: 'startSession' }>['reason'], string> = {
  start: '',
  crashed: 'restart after a crash',
  handoff: 'fresh session after a handoff',
  drift: 'fresh session for the changed spec',
  resume: 'resumed after a stop',
};

/** Ending a session ends the agent's current turn: logged as an intent first. */
export function sessionActionIsIrreversible(a: SessionAction): boolean {
  return a.type === 'cycleSession' || a.type === 'endSession';
}
