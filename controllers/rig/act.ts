import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { CloneError, cloneInto, inspectClone, TRANSFER_TIMEOUT_MS } from '../../src/adapters/git.js';
import { TerminalError, type ControllerContext } from '../../src/engine/controller.js';
import { actFileAction } from '../common/file-actions.js';
import type { RigAction } from './actions.js';
import { unsafeToDelete } from '../../src/policy/clone-safety.js';
import { failpoint } from '../../src/util/failpoint.js';

const RIG_ENTRIES = ['config.json', 'polecats', 'witness', 'plugins', 'refinery', 'mayor'];

export async function actRig(ctx: ControllerContext, a: RigAction): Promise<string | void> {
  const abs = (p: string) => path.join(ctx.root, p);
  switch (a.type) {
    case 'createClone':
      ctx.activity?.(`clone ${a.url} into ${a.path}`, TRANSFER_TIMEOUT_MS);
      try {
        await cloneInto(a.url, a.branch, abs(a.path), {}, ctx.progress && ((line) => ctx.progress!(a.path, line)));
      } catch (err) {
        // A branch the remote does not have is the spec's to fix: Stalled until it changes, not retried.
        if (err instanceof CloneError && err.why === 'noSuchBranch') throw new TerminalError(err.message);
        throw err;
      }
      failpoint('rig:after-clone');
      return;
    case 'removePartialClone':
      await rm(abs(a.path), { recursive: true, force: true });
      return;
    case 'removeClone': {
      // The plan saw it clean; someone may have committed since. Look again right before deleting.
      const why = unsafeToDelete(await inspectClone(abs(a.path), { work: true }));
      if (why) throw new Error(`${a.path} ${why} (changed since it was planned); not deleted`);
      await rm(abs(a.path), { recursive: true, force: true });
      failpoint('rig:after-clone-delete');
      return;
    }
    case 'removeRigDir': {
      const entries = a.keepBeads ? RIG_ENTRIES : [...RIG_ENTRIES, '.beads'];
      for (const e of entries) {
        const clone = await findGitDir(abs(path.join(a.path, e)), 3);
        if (clone) throw new Error(`found a git repository at ${path.relative(ctx.root, clone)} that the plan did not inspect; not deleting ${a.path}/`);
      }
      for (const e of entries) await rm(abs(path.join(a.path, e)), { recursive: true, force: true });
      await rmdir(abs(a.path)).catch(() => undefined); // Kept files (issues, anything of the user's) keep the directory.
      return;
    }
    case 'finalize':
      if (!(await ctx.store.finalize('Rig', a.name))) return 'kept: applied again while it was being removed';
      return;
    default:
      await actFileAction(ctx.root, a);
  }
}

async function findGitDir(dir: string, depth: number): Promise<string | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  if (entries.some((e) => e.name === '.git')) return dir;
  if (depth === 0) return undefined;
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const found = await findGitDir(path.join(dir, e.name), depth - 1);
    if (found) return found;
  }
  return undefined;
}
