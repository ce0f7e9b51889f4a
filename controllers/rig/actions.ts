import type { ActionText } from '../../src/engine/controller.js';
import { describeFileAction, type FileAction } from '../common/file-actions.js';

export type CloneRole = 'refinery' | 'mayor';

/** Everything the rig controller can do. Paths are relative to the town root. */
export type RigAction =
  | FileAction
  /** `branch` undefined: the remote's default branch (its HEAD), as git clone picks it. */
  | { type: 'createClone'; role: CloneRole; path: string; url: string; branch: string | undefined }
  /** A temporary directory left by an interrupted clone. */
  | { type: 'removePartialClone'; path: string }
  /** Only planned for a clone with no uncommitted, stashed or unpushed work; act checks again. */
  | { type: 'removeClone'; path: string }
  /** What remains of a removed rig; `.beads` is kept when it still holds issues. */
  | { type: 'removeRigDir'; path: string; keepBeads: boolean }
  | { type: 'finalize'; name: string };

export function describeRigAction(a: RigAction): ActionText {
  switch (a.type) {
    case 'createClone':
      return { op: '+', text: `clone ${a.path} from ${a.url} (${a.branch ?? "the remote's default branch"})` };
    case 'removePartialClone':
      return { op: '-', text: `partial clone ${a.path} (left by an interrupted clone)` };
    case 'removeClone':
      return { op: '-', text: `clone ${a.path} (clean, nothing unpushed)` };
    case 'removeRigDir':
      return { op: '-', text: `rig directory ${a.path}/${a.keepBeads ? ' (keeping .beads: it holds issues)' : ''}` };
    case 'finalize':
      return { op: '-', text: `Rig/${a.name} from the store (cleanup done)` };
    default:
      return describeFileAction(a);
  }
}

export function rigActionIsIrreversible(a: RigAction): boolean {
  return a.type === 'removeClone' || a.type === 'removeRigDir' || a.type === 'removePartialClone';
}
