import { agentDir } from '../mail/address.js';
import { updateAgentState } from './state.js';

/**
 * Every `gt` call an agent makes is a sign of life for `gt status` (DESIGN.md §4: heartbeats are
 * the agent's gt calls and its pane's activity). Best effort: a heartbeat that cannot be written
 * must never fail the agent's command.
 */
export async function recordHeartbeat(env: NodeJS.ProcessEnv): Promise<void> {
  const address = env.GT_AGENT;
  const root = env.GT_TOWN;
  if (!address || !root || address === 'overseer') return;
  try {
    await updateAgentState(agentDir(root, address), (s) => ({ ...s, heartbeat: new Date().toISOString() }));
  } catch {
    // Not an agent of this town after all, or its directory is gone: nothing to record.
  }
}
