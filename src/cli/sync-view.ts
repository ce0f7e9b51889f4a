import type { Finding } from '../engine/controller.js';
import { isInSync, type KeyPlan } from '../engine/reconciler.js';
import { describeHolder, type KeyHolder } from '../store/key-lock.js';

/** What status says of a plan with actions while no `gt run` is alive to carry them out. */
export const NO_LOOP = 'no loop is running: gt run carries it out (gt run --once: one pass)';

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
  /** Work keys of this object some process is reconciling right now, and what each is doing. */
  reconciling: KeyHolder[];
}

/** Who acts on the plans: whether a `gt run` loop is alive, and which keys are being reconciled now (their lock files). */
export interface Actors {
  loop: boolean;
  reconciling: ReadonlyMap<string, KeyHolder>;
}

/**
 * Pure: every plan of one object (all its controllers), the failure its stored status last
 * recorded (with the running loop's next attempt when there is one), and who acts on them: a
 * plan nobody will carry out (no loop) is not "in progress", and a key being reconciled right
 * now (a clone) says so rather than only what is left to do.
 */
export function syncView(plans: readonly KeyPlan[], lastError: string | undefined, actors: Actors, retry?: { attempts: number; nextAttemptAt: string }): SyncView {
  const reconciling = plans.flatMap((p) => actors.reconciling.get(p.workKey) ?? []);
  const pending = plans.flatMap((p) => [...p.actions.map((a) => `${a.text.op} ${a.text.text}`), ...p.pending.map((a) => `${a.op} ${a.text} (waiting)`)]);
  const errors = plans.flatMap((p) => (p.error ? [p.error] : []));
  const findings = plans.flatMap((p) => p.findings);
  const notes = plans.flatMap((p) => p.notes);
  const inSync = plans.every(isInSync);
  const failed = !inSync && pending.length && lastError ? lastError : undefined;
  const toDo = plans.some((p) => p.actions.length);
  const reason = inSync
    ? 'in sync'
    : reconciling.length
      ? `reconciling: ${reconciling.map(describeHolder).join('; ')}`
      : (errors[0] ??
          (failed ? `failed: ${failed}${retry ? `; gt run retries it at ${retry.nextAttemptAt} (attempt ${retry.attempts + 1})` : ''}` : undefined) ??
          (findings.length ? `waits on you: ${[...new Set(findings.map((f) => f.code))].join(', ')}` : `${pending.length} to do (gt diff): ${pending[0]}${pending.length > 1 ? ', …' : ''}`)) +
        (toDo && !actors.loop ? `; ${NO_LOOP}` : '');
  return { inSync, reason, pending, findings, notes, ...(failed ? { lastError: failed } : {}), reconciling };
}
