import { lstatSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';

/*
 * Synchronous reads for the observe path, which the loop runs on every object every resync.
 * Each call is one small local syscall; the promise versions cost several thread-pool round
 * trips, a FileHandle and their garbage each, and were most of an idle `gt run`'s CPU (see
 * bench idle). Only for small local files and directory listings: refs, state and status files,
 * store records. Absence (or anything unreadable) is a value here, not an exception.
 */

export function statQuiet(file: string): Stats | undefined {
  try {
    return statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function lstatQuiet(file: string): Stats | undefined {
  try {
    return lstatSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function readTextQuiet(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The names in a directory, or [] when it is absent or unreadable. */
export function listDirQuiet(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
