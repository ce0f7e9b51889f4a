// Never lose work: the rig (removing its clones), the worker pool (releasing a polecat), gt stop
// (reporting kept work) and gt doctor (judging and fixing) all ask this before a clone is deleted.
import type { CloneState } from '../adapters/git.js';

/** What deleting a clone could lose: its working tree, its stashes, and commits no remote holds. */
export interface CloneWork {
  dirty: number;
  stashes: number;
  /** Infinity: could not tell, which counts as unpushed. */
  unpushed: number;
}

/**
 * The one rule: the work a clone holds ("2 uncommitted changes, 1 stash"), or undefined when it
 * holds none. A clone whose work was not inspected (`undefined`) is never judged empty.
 */
export function heldWork(w: CloneWork): string | undefined {
  const why: string[] = [];
  if (w.dirty) why.push(`${w.dirty} uncommitted change${w.dirty === 1 ? '' : 's'}`);
  if (w.stashes) why.push(`${w.stashes} stash${w.stashes === 1 ? '' : 'es'}`);
  if (w.unpushed > 0) why.push(Number.isFinite(w.unpushed) ? `${w.unpushed} unpushed commit${w.unpushed === 1 ? '' : 's'}` : 'commits that may be unpushed');
  return why.length ? why.join(', ') : undefined;
}

/** Why a clone may not be deleted, or undefined when deleting it loses nothing. */
export function unsafeToDelete(state: CloneState): string | undefined {
  if (state.state === 'missing') return undefined;
  if (state.state === 'notRepo') return "is not a git clone (its files may be someone's work)";
  if (!state.work) return 'was not inspected for work';
  const held = heldWork(state.work);
  return held ? `has ${held}` : undefined;
}

/** Whether a polecat's clone, with the work facts gathered for it (none: missing or not inspected), may be deleted. */
export function cloneIsDisposable(w: CloneWork | undefined): boolean {
  return !!w && heldWork(w) === undefined;
}
