// Picks a rig's tracker backend (bd or the JSONL file): kept apart from the IssueTracker interface,
// which both backends implement.
import { BdTracker } from './bd.js';
import { JsonlTracker } from './jsonl.js';
import { BdNotOnPath, findBdDatabase, onPath } from './layout.js';
import type { IssueTracker } from './tracker.js';

export interface OpenTrackerOptions {
  /** The rig's issue prefix, e.g. `gt` for ids like `gt-a3f8`. */
  prefix: string;
  /**
   * `auto`: bd where the directory holds a bd database (Dolt or SQLite, see layout.ts), refusing
   * with BdNotOnPath when bd cannot be run; the JSONL file elsewhere.
   */
  backend: 'auto' | 'jsonl' | 'bd';
  /** Who gt acts as where beads records an author (reopen notes). Default `gt`. */
  actor?: string;
  /** The bd program; default `bd`, looked up on PATH. */
  bdCommand?: string;
}

export async function openTracker(beadsDir: string, opts: OpenTrackerOptions): Promise<IssueTracker> {
  const bdCommand = opts.bdCommand ?? 'bd';
  const actor = opts.actor ?? 'gt';
  if (opts.backend === 'auto') {
    const database = await findBdDatabase(beadsDir);
    if (database && !onPath(bdCommand)) throw new BdNotOnPath(beadsDir, database, bdCommand);
    if (database) return new BdTracker(beadsDir, { bdCommand, actor });
  }
  return opts.backend === 'bd' ? new BdTracker(beadsDir, { bdCommand, actor }) : new JsonlTracker(beadsDir, { prefix: opts.prefix, actor });
}
