import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic, isErrno } from '../../src/util/atomic.js';
import type { ActionText } from '../../src/engine/controller.js';
import type { PathsObserved } from './observe-fs.js';

/** Paths in actions are relative to the town root: readable in diffs and events, resolved in act. */
export type FileAction =
  | { type: 'createDir'; path: string }
  /** A file gt owns and renders from the spec; rewritten whenever it drifts. */
  | { type: 'renderFile'; path: string; content: string; reason: 'missing' | 'drift'; mode?: number }
  /** A file gt only seeds (e.g. an empty issue database); never overwritten once it exists. */
  | { type: 'createFile'; path: string; content: string; note: string };

export function describeFileAction(a: FileAction): ActionText {
  switch (a.type) {
    case 'createDir':
      return { op: '+', text: `dir ${a.path}/` };
    case 'renderFile':
      return a.reason === 'missing' ? { op: '+', text: `file ${a.path}` } : { op: '~', text: `file ${a.path} (edited by hand or spec changed: render again)` };
    case 'createFile':
      return { op: '+', text: `file ${a.path} (${a.note})` };
  }
}

export async function actFileAction(root: string, a: FileAction): Promise<void> {
  const abs = path.join(root, a.path);
  switch (a.type) {
    case 'createDir':
      await mkdir(abs, { recursive: true });
      return;
    case 'renderFile':
      await writeFileAtomic(abs, a.content, a.mode);
      return;
    case 'createFile': {
      await mkdir(path.dirname(abs), { recursive: true });
      let fh;
      try {
        fh = await open(abs, 'wx', 0o644);
      } catch (err) {
        if (isErrno(err, 'EEXIST')) return; // Someone seeded it since we looked: theirs wins.
        throw err;
      }
      try {
        await fh.writeFile(a.content);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
}

/** Plans the file actions that bring `want` about, given what exists. Pure. */
export function planFiles(
  want: { dirs: string[]; rendered: Record<string, string>; executables?: Record<string, string>; seeded: Record<string, { content: string; note: string }> },
  have: PathsObserved,
): FileAction[] {
  const out: FileAction[] = [];
  for (const d of want.dirs) if (!have.dirs[d]) out.push({ type: 'createDir', path: d });
  for (const [p, content] of Object.entries(want.rendered)) {
    const current = have.files[p];
    if (current === undefined) out.push({ type: 'renderFile', path: p, content, reason: 'missing' });
    else if (current !== content) out.push({ type: 'renderFile', path: p, content, reason: 'drift' });
  }
  for (const [p, content] of Object.entries(want.executables ?? {})) {
    const current = have.files[p];
    if (current !== content) out.push({ type: 'renderFile', path: p, content, reason: current === undefined ? 'missing' : 'drift', mode: 0o755 });
  }
  for (const [p, s] of Object.entries(want.seeded)) if (!have.present[p] && have.files[p] === undefined) out.push({ type: 'createFile', path: p, ...s });
  return out;
}
