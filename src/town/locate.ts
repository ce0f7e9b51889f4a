import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { townPaths } from './layout.js';

/** True when `dir` holds a town (its `.gt/` state directory). */
export function isTownRoot(dir: string): boolean {
  try {
    const p = townPaths(dir);
    return statSync(p.gtDir).isDirectory() && existsSync(p.storeDir);
  } catch {
    return false;
  }
}

/** The town root: --town, then GT_TOWN, then the nearest directory upwards holding `.gt/`. */
export function locateTown(opts: { town?: string | undefined; env?: NodeJS.ProcessEnv; cwd?: string }): string | undefined {
  const env = opts.env ?? process.env;
  const explicit = opts.town ?? env.GT_TOWN;
  if (explicit) return path.resolve(explicit);
  let dir = path.resolve(opts.cwd ?? process.cwd());
  for (;;) {
    if (isTownRoot(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function requireTown(opts: { town?: string | undefined }): string {
  const root = locateTown(opts);
  if (!root) {
    fail({ kind: 'townNotFound', message: 'no town here: pass --town DIR, set GT_TOWN, run inside a town, or apply a Town manifest first' });
  }
  if (!isTownRoot(root)) fail({ kind: 'townNotFound', message: `${root} is not a town (no .gt/ directory): apply a Town manifest first` });
  return root;
}
