import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/*
 * Reads for the observe path, where a file that is not there is a normal fact (no clone yet, no
 * merge request) and nothing to report. Only absence is a value: any other failure (EACCES, EIO)
 * is an error that names its file, so a town that cannot be read is never taken for an empty one.
 */

function isAbsence(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function absentAs<T, F>(read: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await read;
  } catch (err) {
    if (isAbsence(err)) return fallback;
    throw err;
  }
}

export function statIfExists(file: string): Promise<Stats | undefined> {
  return absentAs(stat(file), undefined);
}

export function lstatIfExists(file: string): Promise<Stats | undefined> {
  return absentAs(lstat(file), undefined);
}

export function readTextIfExists(file: string): Promise<string | undefined> {
  return absentAs(readFile(file, 'utf8'), undefined);
}

/** The names in a directory, or [] when it does not exist. */
export function listDir(dir: string): Promise<string[]> {
  return absentAs(readdir(dir), []);
}
