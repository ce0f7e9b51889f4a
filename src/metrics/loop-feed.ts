import type { KeyOutcome } from '../engine/reconciler.js';

/** The work queue as the loop sees it at one moment. */
export interface QueueSnapshot {
  /** Keys waiting to be reconciled (due now or later). */
  depth: number;
  /** Keys being reconciled now. */
  processing: number;
}

/**
 * What only the running loop knows, fed by `gt run` (src/cli/commands/run.ts) from its loop
 * hooks: each reconcile's outcome (and how long it took, when the loop says), and the queue.
 */
export interface LoopFeed {
  reconciled(outcome: KeyOutcome, durationMs?: number): void;
  queue(snapshot: QueueSnapshot): void;
}
