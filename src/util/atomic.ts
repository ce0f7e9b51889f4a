import { open, rename, mkdir, rm } from 'node:fs/promises';
export { readTextIfExists } from './fs-read.js';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { failpoint } from './failpoint.js';

/**
 * Writes a file so that readers see either the old or the new content, never a torn one,
 * and a crash leaves no half-written file: temp file in the same directory, fsync, rename,
 * fsync of the directory so the rename itself survives a power cut.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
  failpoint('state:before-rename');
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
  failpoint('state:after-write');
}

export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/** JSON as gt writes it everywhere: stable key order from the caller, two-space indent, final newline. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
