import path from 'node:path';
import type { Rig } from '../model/objects.js';
import { readTextIfExists } from '../util/fs-read.js';

/**
 * The remote's default branch as `git clone` recorded it in the rig's refinery clone
 * (`refs/remotes/origin/HEAD`, a symbolic ref file): read every pass, so a file read and no git
 * process. Undefined until that clone exists (or when it does not record one).
 */
export async function observedRemoteHead(root: string, rig: string): Promise<string | undefined> {
  const text = await readTextIfExists(path.join(root, rig, 'refinery', 'rig', '.git', 'refs', 'remotes', 'origin', 'HEAD'));
  return text === undefined ? undefined : /^ref: refs\/remotes\/origin\/(\S+)\s*$/.exec(text)?.[1];
}

/**
 * The one answer to "which branch is the rig's default": the spec's `defaultBranch`, else the
 * remote's HEAD as cloned (as git itself decides). Undefined while neither is known: nothing that
 * needs a branch (dispatch, merging) may guess one.
 */
export function rigDefaultBranch(rig: Rig, remoteHead: string | undefined): string | undefined {
  return rig.spec.defaultBranch ?? remoteHead;
}
