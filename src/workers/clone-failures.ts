/**
 * Spawns whose clone could not be made, in a row (the rig's remote unreachable, gone, or refusing):
 * kept in the pool state so that the pure plan computes when to try again. Dispatch in the rig
 * waits until then; a spawn whose clone works forgets them.
 */
export interface CloneFailures {
  attempts: number;
  /** When the last attempt failed. */
  lastAt: string;
  /** What git said, as the last attempt's error. */
  error: string;
  issueId: string;
  polecat: string;
}

const FIRST_RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60_000;

/** When the next clone may be tried: 5 s after the first failure, doubling up to 5 minutes. */
export function nextCloneAttemptAt(f: CloneFailures): number {
  return Date.parse(f.lastAt) + Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, f.attempts - 1));
}
