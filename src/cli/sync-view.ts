import type { Finding } from '../engine/controller.js';
import { isInSync, type KeyPlan } from '../engine/reconciler.js';

/** One object's sync state as `gt status` shows it, from the very plans `gt diff` prints. */
export interface SyncView {
  /** Exactly when `gt diff` would exit 0 for this object. */
  inSync: boolean;
  /** One line: "in sync", or the first thing that keeps it from being. */
  reason: string;
  /** Actions to do now, and those decided for later (`(waiting)`), as gt diff prints them. */
  pending: string[];
  findings: Finding[];
  notes: string[];
  /** The last reconcile's failure, while what it failed at is still to do. */
  lastError?: string;
}

/**
 * Pure: every plan of one object (all its controllers), and the failure its stored status last
 * recorded, with the running loop's next attempt when there is one.
 */
export function syncView(plans: readonly KeyPlan[], lastError: string | undefined, retry?: { attempts: number; nextAttemptAt: string }): SyncView {
  const pending = plans.flatMap((p) => [...p.actions.map((a) => `${a.text.op} ${a.text.text}`), ...p.pending.map((a) => `${a.op} ${a.text} (waiting)`)]);
  const errors = plans.flatMap((p) => (p.error ? [p.error] : []));
  const findings = plans.flatMap((p) => p.findings);
  const notes = plans.flatMap((p) => p.notes);
  const inSync = plans.every(isInSync);
  const failed = !inSync && pending.length && lastError ? lastError : undefined;
  const reason = inSync
    ? 'in sync'
    : (errors[0] ??
      (failed ? `failed: ${failed}${retry ? `; gt run retries it at ${retry.nextAttemptAt} (attempt ${retry.attempts + 1})` : ''}` : undefined) ??
      (findings.length ? `waits on you: ${[...new Set(findings.map((f) => f.code))].join(', ')}` : `${pending.length} to do (gt diff): ${pending[0]}${pending.length > 1 ? ', …' : ''}`));
  return { inSync, reason, pending, findings, notes, ...(failed ? { lastError: failed } : {}) };
}
