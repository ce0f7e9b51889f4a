import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { GtFailure } from '../errors.js';
import { listDir, readTextIfExists, statIfExists } from '../util/fs-read.js';

/**
 * Where bd keeps a rig's issues, when it does. Today's bd (steveyegge/beads 1.x) keeps its
 * database in Dolt: embedded in `.beads/embeddeddolt/<db>/`, or in `.beads/dolt/` served by a
 * `dolt sql-server` (`bd init --server`); `.beads/metadata.json` says `"backend": "dolt"` (and
 * `"dolt_mode": "server"` for the served one, whose data may live elsewhere). bd before Dolt kept
 * a SQLite file, `.beads/beads.db` by default (configfile.DatabasePath). In every layout
 * `.beads/issues.jsonl` is only bd's export: bd never reads it back on its own, so writing there
 * would fork the tracker.
 */
export type BdDatabase = { kind: 'embedded-dolt'; path: string } | { kind: 'dolt-server'; path: string } | { kind: 'sqlite'; path: string };

/** The bd database in `beadsDir`, or undefined when bd keeps none there (a JSONL-only rig). */
export async function findBdDatabase(beadsDir: string): Promise<BdDatabase | undefined> {
  const names = await listDir(beadsDir);
  const isDir = async (name: string) => names.includes(name) && (await statIfExists(path.join(beadsDir, name)))?.isDirectory() === true;
  if (await isDir('embeddeddolt')) return { kind: 'embedded-dolt', path: path.join(beadsDir, 'embeddeddolt') };
  if (await isDir('dolt')) return { kind: 'dolt-server', path: path.join(beadsDir, 'dolt') };
  const meta = await doltMetadata(beadsDir);
  if (meta) return { kind: meta.server ? 'dolt-server' : 'embedded-dolt', path: path.join(beadsDir, 'metadata.json') };
  const files = await Promise.all(names.filter((n) => n.endsWith('.db')).map(async (n) => ((await statIfExists(path.join(beadsDir, n)))?.isFile() ? n : undefined)));
  const sqlite = files.filter((n): n is string => n !== undefined).sort()[0];
  return sqlite === undefined ? undefined : { kind: 'sqlite', path: path.join(beadsDir, sqlite) };
}

/** metadata.json naming the Dolt backend: a database bd created even if its directory is elsewhere. */
async function doltMetadata(beadsDir: string): Promise<{ server: boolean } | undefined> {
  const text = await readTextIfExists(path.join(beadsDir, 'metadata.json'));
  if (text === undefined) return undefined;
  try {
    const meta = JSON.parse(text) as { backend?: unknown; dolt_mode?: unknown };
    return meta.backend === 'dolt' ? { server: meta.dolt_mode === 'server' } : undefined;
  } catch {
    // Not bd's file after all (or a torn write): the directories above are what count.
    return undefined;
  }
}

export function describeBdDatabase(db: BdDatabase, relativeTo?: string): string {
  const where = relativeTo === undefined ? db.path : path.relative(relativeTo, db.path);
  switch (db.kind) {
    case 'embedded-dolt':
      return `an embedded Dolt database (${where})`;
    case 'dolt-server':
      return `a Dolt database served by dolt sql-server (${where})`;
    case 'sqlite':
      return `a SQLite database (${where})`;
  }
}

/** Whether `command` names an executable, directly or through PATH. */
export function onPath(command: string): boolean {
  const candidates = command.includes(path.sep)
    ? [command]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate, { throwIfNoEntry: false })?.isFile() === true;
    } catch {
      return false;
    }
  });
}

/**
 * A rig whose `.beads` holds a bd database while bd cannot be run. gt refuses to touch its issues
 * at all rather than fall back to the export (DESIGN.md §7), and says how to get out.
 */
export class BdNotOnPath extends GtFailure {
  readonly code = 'BeadsBdNotOnPath';

  /** A named condition, not a failure: every controller that observes the rig shows it as this finding. */
  get condition(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }

  constructor(
    readonly beadsDir: string,
    readonly database: BdDatabase,
    readonly bdCommand: string,
  ) {
    super({
      kind: 'conflict',
      message:
        `${beadsDir} holds ${describeBdDatabase(database, beadsDir)}, which only bd reads, and ${bdCommand} is not on PATH; ` +
        `gt leaves the rig's issues alone (its issues.jsonl is bd's export, never read back by bd). ` +
        `Install bd (https://github.com/steveyegge/beads) where gt runs, or set the Town's spec.beads.backend explicitly (jsonl makes the export gt's own tracker)`,
    });
    this.name = 'BdNotOnPath';
  }
}
