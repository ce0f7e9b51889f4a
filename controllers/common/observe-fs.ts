import { listEntries, readTextIfExists, statIfExists } from '../../src/util/fs-read.js';
import path from 'node:path';

export interface PathsObserved {
  /** Directory path -> exists as a directory. */
  dirs: Record<string, boolean>;
  /** Rendered file path -> its text, undefined when absent. */
  files: Record<string, string | undefined>;
  /** Seeded file path -> exists (not read: an issue database can be large). */
  present: Record<string, boolean>;
}

/** Observes the given town-relative paths (`/`-separated). */
export async function observePaths(root: string, want: { dirs: string[]; files: string[]; present: string[] }): Promise<PathsObserved> {
  const abs = (p: string) => path.join(root, p);
  const [d, f, e] = await Promise.all([
    observeDirs(root, want.dirs),
    Promise.all(want.files.map((p) => readTextIfExists(abs(p)))),
    Promise.all(want.present.map(async (p) => (await statIfExists(abs(p))) !== undefined)),
  ]);
  return {
    dirs: Object.fromEntries(want.dirs.map((p, i) => [p, d[i]!])),
    files: Object.fromEntries(want.files.map((p, i) => [p, f[i]])),
    present: Object.fromEntries(want.present.map((p, i) => [p, e[i]!])),
  };
}

/**
 * Whether each of `dirs` is a directory. One that holds others of them is listed once, and the
 * types of its entries answer for those (a rig's seven directories: one listing, not seven
 * stats); a symlink, or an entry whose type the file system does not say, is stat'ed.
 */
async function observeDirs(root: string, dirs: string[]): Promise<boolean[]> {
  const parents = [...new Set(dirs.map((d) => path.posix.dirname(d)))].filter((p) => dirs.includes(p));
  const listed = new Map(await Promise.all(parents.map(async (p) => [p, await listEntries(path.join(root, p))] as const)));
  const isDir = async (d: string) => (await statIfExists(path.join(root, d)))?.isDirectory() ?? false;
  return Promise.all(
    dirs.map(async (d) => {
      if (listed.has(d)) return listed.get(d) !== undefined;
      const parent = path.posix.dirname(d);
      if (!listed.has(parent)) return isDir(d);
      const entry = listed.get(parent)?.find((x) => x.name === path.posix.basename(d));
      if (!entry || entry.isFile()) return false;
      return entry.isDirectory() || isDir(d);
    }),
  );
}
