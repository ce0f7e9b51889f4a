import { closeSync, ftruncateSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
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

export function takeCapture(): Capture {
  const c = spare.pop();
  if (c) return c;
  // Not remembered: root acting as a town's owner (src/town/owner.ts) may change TMPDIR.
  const file = path.join(os.tmpdir(), `gt-run-${process.pid}-${counter++}-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'ax+', 0o600);
  unlinkSync(file);
  return { fd, start: 0 };
}

/** A file holding exactly `text`, for a program's stdin (it reads from the start). */
export function takeInput(text: string): Capture {
  const c = takeCapture();
  try {
    if (c.start > 0) ftruncateSync(c.fd, 0);
    const data = Buffer.from(text);
    for (let at = 0; at < data.length; ) at += writeSync(c.fd, data, at);
    // A later run that gets this file back reads from after the input.
    c.start = data.length;
  } catch (e) {
    discard(c);
    throw e;
  }
  return c;
}

/** Once its output was read (readAll), or when its program never started. */
export function giveBack(c: Capture): void {
  if (c.start > EMPTY_ABOVE) {
    try {
      ftruncateSync(c.fd, (c.start = 0));
    } catch {
      closeSync(c.fd);
      return;
    }
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

const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * What the program wrote, read up to the file's end without an fstat: most runs write less
 * than one read's worth (a short read is the end of a regular file). The next run's output
 * starts there.
 */
export function readAll(c: Capture): string {
  let n = readSync(c.fd, scratch, 0, scratch.length, c.start);
  c.start += n;
  if (n < scratch.length) return scratch.toString('utf8', 0, n);
  const chunks = [Buffer.from(scratch)];
  do {
    n = readSync(c.fd, scratch, 0, scratch.length, c.start);
    c.start += n;
    chunks.push(Buffer.from(scratch.subarray(0, n)));
  } while (n === scratch.length);
  return Buffer.concat(chunks).toString('utf8');
}
