import { closeSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Capture files take a program's stdout and stderr (and, for the spawner, its stdin input): a
 * pipe costs node a stream pair per descriptor, about 3 ms of CPU per spawn for the short git
 * and tmux calls the loop makes all the time (bench idle and merge), and a grandchild that keeps
 * our descriptor cannot hold up the result.
 *
 * They are private read-write files with no name (nothing is left behind if we crash), kept for
 * reuse: opened for appending, so that a file emptied by ftruncate is written from its start
 * again by the next program (the file offset is shared with every child that had it).
 */
const spare: number[] = [];
const MAX_SPARE = 16;
let counter = 0;
let tmp: string | undefined;

export function takeCapture(): number {
  const fd = spare.pop();
  if (fd !== undefined) return fd;
  tmp ??= os.tmpdir();
  const file = path.join(tmp, `gt-run-${process.pid}-${counter++}-${Math.random().toString(36).slice(2)}`);
  const created = openSync(file, 'ax+', 0o600);
  unlinkSync(file);
  return created;
}

/** A file holding `text`, for a program's stdin. */
export function takeInput(text: string): number {
  const fd = takeCapture();
  try {
    writeSync(fd, text);
  } catch (e) {
    giveBack(fd);
    throw e;
  }
  return fd;
}

/** Empties a capture file for the next program. */
export function giveBack(fd: number): void {
  try {
    ftruncateSync(fd, 0);
  } catch {
    closeSync(fd);
    return;
  }
  if (spare.length < MAX_SPARE) spare.push(fd);
  else closeSync(fd);
}

/** For a file that a program we lost track of may still write to: it must never be reused. */
export function discard(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * A name another process (our spawner) can open the file by, with its own file offset: Linux's
 * /proc link to our descriptor works even though the file has no name.
 */
export function capturePath(fd: number): string {
  return `/proc/${process.pid}/fd/${fd}`;
}

export function readAll(fd: number): string {
  const size = fstatSync(fd).size;
  if (size === 0) return '';
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const n = readSync(fd, buf, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return buf.toString('utf8', 0, at);
}
