import { readTextQuiet, statQuiet } from '../../src/util/quick-fs.js';
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
export function observePaths(root: string, want: { dirs: string[]; files: string[]; present: string[] }): PathsObserved {
  const abs = (p: string) => path.join(root, p);
  const d = want.dirs.map((p) => statQuiet(abs(p))?.isDirectory() ?? false);
  const f = want.files.map((p) => readTextQuiet(abs(p)));
  const e = want.present.map((p) => statQuiet(abs(p)) !== undefined);
  return {
    dirs: Object.fromEntries(want.dirs.map((p, i) => [p, d[i]!])),
    files: Object.fromEntries(want.files.map((p, i) => [p, f[i]])),
    present: Object.fromEntries(want.present.map((p, i) => [p, e[i]!])),
  };
}
