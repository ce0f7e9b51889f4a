import type { AgentConditionCode } from '../../src/agents/screens.js';
import type { ActionText } from '../../src/engine/controller.js';

/** Everything the worker-pool controller can do for one rig. */
export type WorkerAction =
  /** Record the intent, claim the issue, prepare the clone and branch, start the session. Resumable. */
  | { type: 'spawnWorker'; name: string; issueId: string; title: string; branch: string; base: string }
  /** `retry`: the agent is tried again after a condition its screen showed (not a crash: no start is counted). */
  | { type: 'restartSession'; name: string; reason: string; earlyDeath: boolean; retry?: boolean }
  /** The worker's screen shows an agent condition (src/agents/screens.ts): recorded and escalated once. */
  | { type: 'reportAgentCondition'; name: string; code: AgentConditionCode; message: string; agent: string }
  | { type: 'clearAgentCondition'; name: string }
  /** The polecat handed off (gt handoff): a fresh session on the same issue reads the handoff first. */
  | { type: 'cycleWorker'; name: string; handoff: string }
  | { type: 'nudge'; name: string; message: string; count: number }
  /** onWorkerStuck: a plugin decides between nudging (proceed) and escalating. */
  | { type: 'askStuckPlugin'; name: string; plugin: string; address: string; quietMinutes: number }
  | { type: 'escalate'; name: string; state: 'stalled' | 'crashLooping'; reason: string }
  | { type: 'rejectDone'; name: string; problems: string[] }
  | { type: 'markReadyToMerge'; name: string; issueId: string; branch: string; head: string }
  | { type: 'returnIssue'; name: string; issueId: string; status: 'deferred' | 'escalated'; message: string }
  | { type: 'stopSession'; name: string; session: string }
  /** Forget a finished worker: its clone is removed only when verified clean and pushed (checked again). */
  | { type: 'releaseWorker'; name: string; removeClone: boolean }
  | { type: 'stopOrphan'; session: string; clone: string | undefined }
  | { type: 'tripBreaker'; reason: string; agent: string }
  /** A crash-looping worker re-armed (spec change or gt reset-breaker): its issue back to ready, unclaimed. */
  | { type: 'releaseIssue'; name: string; issueId: string; why: string }
  /** The temporary of a polecat clone cut short (gt killed mid-clone): a fresh copy of the remote, nobody's work. */
  | { type: 'removePartialClone'; dir: string }
  /** An issue claimed by a polecat that has no worker record and no merge request (its record was lost): ready again, for that polecat first. */
  | { type: 'releaseLostClaim'; issueId: string; polecat: string }
  /** `rearmed`: the breaker opened under an older spec or agent is forgotten too. */
  | { type: 'resetSpawnFailures'; rearmed?: boolean };

export function describeWorkerAction(a: WorkerAction): ActionText {
  switch (a.type) {
    case 'spawnWorker':
      return { op: '+', text: `polecat ${a.name} on ${a.issueId} "${a.title}" (branch ${a.branch} from ${a.base})` };
    case 'restartSession':
      return { op: '~', text: `restart polecat ${a.name}: ${a.reason}` };
    case 'reportAgentCondition':
      return { op: '~', text: `escalate polecat ${a.name}: ${a.code}` };
    case 'clearAgentCondition':
      return { op: '~', text: `polecat ${a.name}'s agent condition cleared (its screen no longer shows it)` };
    case 'cycleWorker':
      return { op: '~', text: `cycle polecat ${a.name} to a fresh session (it handed off: ${a.handoff}); its issue stays its own` };
    case 'askStuckPlugin':
      return { op: '~', text: `ask plugin ${a.plugin} about stuck polecat ${a.name} (onWorkerStuck)` };
    case 'nudge':
      return { op: '~', text: `nudge polecat ${a.name} (${a.count})` };
    case 'escalate':
      return { op: '~', text: `escalate polecat ${a.name}: ${a.reason}` };
    case 'rejectDone':
      return { op: '~', text: `send polecat ${a.name} back to work: ${a.problems.join('; ')}` };
    case 'markReadyToMerge':
      return { op: '+', text: `merge request for ${a.issueId} (${a.branch} at ${a.head.slice(0, 8)}), verified` };
    case 'returnIssue':
      return { op: '~', text: `return ${a.issueId} from polecat ${a.name} as ${a.status}${a.message ? `: ${a.message}` : ''}` };
    case 'stopSession':
      return { op: '-', text: `session ${a.session} of polecat ${a.name}` };
    case 'releaseWorker':
      return { op: '-', text: `polecat ${a.name}${a.removeClone ? ' and its clone (clean, nothing unpushed)' : ' (its clone is kept: it holds work)'}` };
    case 'stopOrphan':
      return { op: '-', text: `orphan session ${a.session} (no worker explains it; its clone holds no unpushed work)` };
    case 'releaseIssue':
      return { op: '~', text: `release ${a.issueId} from crash-looping polecat ${a.name} back to ready (${a.why})` };
    case 'removePartialClone':
      return { op: '-', text: `partial clone polecats/${a.dir} (left by a clone cut short)` };
    case 'releaseLostClaim':
      return { op: '~', text: `release ${a.issueId} back to ready: polecat ${a.polecat} claims it but has no worker record and no merge request (it goes to ${a.polecat} again first)` };
    case 'tripBreaker':
      return { op: '~', text: `circuit breaker opens: ${a.reason}` };
    case 'resetSpawnFailures':
      return { op: '~', text: a.rearmed ? 'circuit breaker re-armed by the new Rig spec or agent: spawn failure count back to 0' : 'spawn failure count back to 0 (a worker is running steadily)' };
  }
}

export function workerActionIsIrreversible(a: WorkerAction): boolean {
  return a.type === 'releaseWorker' || a.type === 'cycleWorker' || a.type === 'stopOrphan' || a.type === 'stopSession' || a.type === 'spawnWorker';
}
