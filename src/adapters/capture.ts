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
 * reuse. Opened for appending, so every program writes at the file's end whatever offset it was
 * handed; a run reads from where the file ended when it was taken. Emptying a file costs more
 * than the rest of the bookkeeping together, so that is done only once it has grown.
 */
export interface Capture {
  readonly fd: number;
  /** Where this run's output starts. */
  start: number;
}

const spare: Capture[] = [];
const MAX_SPARE = 16;
const EMPTY_ABOVE = 1 << 20;
let counter = 0;
let tmp: string | undefined;

export function takeCapture(): Capture {
  const c = spare.pop();
  if (c) return c;
  tmp ??= os.tmpdir();
  const file = path.join(tmp, `gt-run-${process.pid}-${counter++}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'ax+', 0o600);
  unlinkSync(file);
  return { fd, start: 0 };
}

/** A file holding exactly `text`, for a program's stdin (it reads from the start). */
export function takeInput(text: string): Capture {
  const c = takeCapture();
  try {
    if (c.start > 0) ftruncateSync(c.fd, (c.start = 0));
    writeSync(c.fd, text);
  } catch (e) {
    giveBack(c);
    throw e;
  }
  return c;
}

export function giveBack(c: Capture): void {
  try {
    const size = fstatSync(c.fd).size;
    if (size > EMPTY_ABOVE) ftruncateSync(c.fd, 0);
    c.start = size > EMPTY_ABOVE ? 0 : size;
  } catch {
    closeSync(c.fd);
    return;
  }
  if (spare.length < MAX_SPARE) spare.push(c);
  else closeSync(c.fd);
}

/** For a file that a program we lost track of may still write to: it must never be reused. */
export function discard(c: Capture): void {
  try {
    closeSync(c.fd);
  } catch {
    // already closed
  }
}

/**
 * A name another process (our spawner) can open the file by, with its own file offset: Linux's
 * /proc link to our descriptor works even though the file has no name.
 */
export function capturePath(c: Capture): string {
  return `/proc/${process.pid}/fd/${c.fd}`;
}

/** What the program wrote. */
export function readAll(c: Capture): string {
  const size = fstatSync(c.fd).size;
  if (size <= c.start) return '';
  const buf = Buffer.allocUnsafe(size - c.start);
  let at = 0;
  while (at < buf.length) {
    const n = readSync(c.fd, buf, at, buf.length - at, c.start + at);
    if (n === 0) break;
    at += n;
  }
  return buf.toString('utf8', 0, at);
}
