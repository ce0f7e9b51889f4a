import { readTextIfExists, statIfExists } from '../../src/util/fs-read.js';
import path from 'node:path';

export interface PathsObserved {
  /** Directory path -> exists as a directory. */
  dirs: Record<string, boolean>;
  /** Rendered file path -> its text, undefined when absent. */
  files: Record<string, string | undefined>;
  /** Seeded file path -> exists (not read: an issue database can be large). */
  present: Record<string, boolean>;
}

/** Observes the given town-relative paths. */
export async function observePaths(root: string, want: { dirs: string[]; files: string[]; present: string[] }): Promise<PathsObserved> {
  const abs = (p: string) => path.join(root, p);
  const [d, f, e] = await Promise.all([
    Promise.all(want.dirs.map(async (p) => (await statIfExists(abs(p)))?.isDirectory() ?? false)),
    Promise.all(want.files.map((p) => readTextIfExists(abs(p)))),
    Promise.all(want.present.map(async (p) => (await statIfExists(abs(p))) !== undefined)),
  ]);
  return {
    dirs: Object.fromEntries(want.dirs.map((p, i) => [p, d[i]!])),
    files: Object.fromEntries(want.files.map((p, i) => [p, f[i]])),
    present: Object.fromEntries(want.present.map((p, i) => [p, e[i]!])),
  };
}
