import path from 'node:path';
import { acquireLock } from '../store/lock.js';
import { toJsonText, writeFileAtomic } from '../util/atomic.js';
import { readTextIfExists } from '../util/fs-read.js';

/**
 * An agent's state file (`<agent dir>/state.json`), the one file both the agent (through its
 * `gt` calls) and gt's controllers write. Field names follow the seed's (`requesting_cycle`).
 */
export interface AgentState {
  /** Set by `gt handoff`; cleared by gt once a fresh session has been started. */
  requesting_cycle?: boolean;
  /** The handoff mail the next session must read first. */
  handoff?: { messageId: string; at: string; by: 'agent' | 'gt' };
  /** The agent's last `gt` call: a heartbeat for `gt status`. */
  heartbeat?: string;
}

export function agentStateFile(agentDir: string): string {
  return path.join(agentDir, 'state.json');
}

/** The state, {} when absent or unreadable (an agent may have scribbled on it). */
export async function readAgentState(agentDir: string): Promise<AgentState> {
  const text = await readTextIfExists(agentStateFile(agentDir));
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * Read-modify-write under the file's lock: the agent's heartbeat and gt's clearing of
 * `requesting_cycle` may race, and neither may undo the other.
 */
export async function updateAgentState(agentDir: string, change: (s: AgentState) => AgentState): Promise<AgentState> {
  const file = agentStateFile(agentDir);
  const held = await acquireLock(`${file}.lock`, { command: 'gt agent state', timeoutMs: 10_000, pollMs: 10 });
  try {
    const next = change(await readAgentState(agentDir));
    await writeFileAtomic(file, toJsonText(next));
    return next;
  } finally {
    await held.release();
  }
}
