import path from 'node:path';
import { checkCommand, commandExitMessage, commandMissingMessage, type CommandCheck } from '../../src/agents/command.js';
import { agentLaunch, gtPath } from '../../src/agents/contract.js';
import type { Plan } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import type { WorkerAction } from './actions.js';
import type { PoolObserved } from './observed.js';

const COMMAND_RECHECK_MS = 30_000;

/** Whether the rig's polecat agent command can be started, on the PATH a polecat session gets (observation). */
export function observeAgentCommand(root: string, rig: Rig, town: Town | undefined, cloneDir: string): CommandCheck | undefined {
  let launch;
  try {
    launch = agentLaunch({
      root,
      inheritedPath: gtPath(),
      rig: rig.metadata.name,
      role: 'polecat',
      address: '',
      cwd: cloneDir,
      promptFile: '',
      instructions: '',
      agents: [town?.spec.agent, rig.spec.agent],
    });
  } catch {
    return undefined; // An invalid command fails the start itself, with its own error.
  }
  return checkCommand(launch.argv[0]!, launch.env.PATH ?? '', cloneDir);
}

/** Actions that start a polecat's agent, and the escalation of deaths a missing command explains. */
function startsAgent(a: WorkerAction): boolean {
  return a.type === 'spawnWorker' || a.type === 'restartSession' || a.type === 'cycleWorker' || (a.type === 'escalate' && a.state === 'crashLooping');
}

/**
 * Pure: while the agent command cannot be started, nothing that starts it is done (no claim, no
 * clone, no session, no crash or breaker count); the rig says why instead, naming the command,
 * the PATH searched and the fix. Said only when the pool wants a session, or when a polecat's
 * pane died as env(1) does for a missing program (126/127). A pane that died so under the
 * current agent (`agent`: its fingerprint) holds starts the same way even when the command
 * itself is found (a wrapper such as `env` that could not start what it runs): until the agent
 * changes, a restart would only fail again.
 */
export function gateOnAgentCommand(plan: Plan<WorkerAction>, o: PoolObserved, rig: string, agent: string): Plan<WorkerAction> {
  const check = o.agentCommand;
  const died = o.sessions.find((s) => !s.alive && (s.exitStatus === 126 || s.exitStatus === 127) && (s.agent === undefined || s.agent === agent));
  const who = `rig ${rig}'s polecats`;
  let message: string | undefined;
  if (check && !check.ok && (died || plan.actions.some(startsAgent))) message = commandMissingMessage(check, who, died ? { session: died.name, status: died.exitStatus! } : undefined);
  else if (check?.ok && died) message = commandExitMessage(check.command, who, { session: died.name, status: died.exitStatus! });
  if (!message) return plan;
  // Looked for again a while later: it may be installed meanwhile.
  const requeueAfterMs = Math.min(plan.requeueAfterMs ?? COMMAND_RECHECK_MS, COMMAND_RECHECK_MS);
  return { ...plan, actions: plan.actions.filter((a) => !startsAgent(a)), findings: [{ code: 'AgentCommandMissing', message }, ...plan.findings], requeueAfterMs };
}

/** Where a relative agent command is looked for: a polecat's clone (any one; they are clones of the same project). */
export function someCloneDir(root: string, rig: string, polecats: string[]): string {
  return path.join(root, rig, 'polecats', polecats[0] ?? '.no-clone-yet');
}
