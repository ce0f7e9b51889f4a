// Never lose work: the rig (removing its clones), the worker pool (releasing a polecat) and gt doctor
// (judging and fixing) all ask this before a clone is deleted.
import type { CloneState } from '../adapters/git.js';

/** Why a clone may not be deleted, or undefined when deleting it loses nothing. */
export function unsafeToDelete(state: CloneState): string | undefined {
  if (state.state === 'missing') return undefined;
  if (state.state === 'notRepo') return 'is not a git clone (its files may be someone\'s work)';
  const w = state.work;
  if (!w) return 'was not inspected for work';
  const why: string[] = [];
  if (w.dirty) why.push(`${w.dirty} uncommitted change${w.dirty === 1 ? '' : 's'}`);
  if (w.stashes) why.push(`${w.stashes} stash${w.stashes === 1 ? '' : 'es'}`);
  if (w.unpushed > 0) why.push(Number.isFinite(w.unpushed) ? `${w.unpushed} unpushed commit${w.unpushed === 1 ? '' : 's'}` : 'commits that may be unpushed');
  return why.length ? `has ${why.join(', ')}` : undefined;
}
