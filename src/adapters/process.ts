import { spawn } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the program and everything it started (its process group) after this long. */
  timeoutMs?: number;
  input?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a program with an argument array and no shell, so no value from a manifest or an issue
 * can ever be read as shell syntax. (We use this instead of execa: execa 9 costs ~140 ms to
 * import here, half of gt diff's whole time budget; see README, "Stack changes".)
 *
 * Output goes to two unlinked temporary files, read once the program has exited: a pipe costs
 * node a stream pair per descriptor, which made each spawn about 3 ms of CPU dearer than the
 * program itself for the short git and tmux calls the loop makes all the time (bench idle and
 * merge). It also means a grandchild that keeps our descriptors cannot hold up the result.
 */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out = takeCapture();
    const err = takeCapture();
    const release = () => {
      giveBack(out);
      giveBack(err);
    };
    let child;
    try {
      child = spawn(command, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', out, err],
        shell: false,
        // With a timeout the child leads its own process group, so that a timeout ends
        // everything it started (a test runner's workers, say), not only the runner.
        detached: opts.timeoutMs !== undefined,
      });
    } catch (e) {
      release();
      throw e;
    }
    let timedOut = false;
    let settled = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is gone already (nothing left in it).
      }
    };
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), killGroup()), opts.timeoutMs);
    child.on('error', (e) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      release();
      reject(e);
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      // What it started and left behind (a test runner's workers) ends with it, and so cannot
      // write into a capture file that is reused. Daemons (tmux's server, git's background gc)
      // have left the group by then.
      if (opts.timeoutMs !== undefined) killGroup();
      try {
        resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: readAll(out), stderr: readAll(err), timedOut });
      } finally {
        release();
      }
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/**
 * Capture files are private read-write files with no name (nothing is left behind if we crash),
 * kept for reuse: opened for appending, so that a file emptied by ftruncate is written from its
 * start again by the next program (the file offset is shared with every child that had it).
 */
const spare: number[] = [];
const MAX_SPARE = 16;
let counter = 0;
let tmp: string | undefined;

function takeCapture(): number {
  const fd = spare.pop();
  if (fd !== undefined) return fd;
  tmp ??= os.tmpdir();
  const file = path.join(tmp, `gt-run-${process.pid}-${counter++}-${Math.random().toString(36).slice(2)}`);
  const created = openSync(file, 'ax+', 0o600);
  unlinkSync(file);
  return created;
}

function giveBack(fd: number): void {
  try {
    ftruncateSync(fd, 0);
  } catch {
    closeSync(fd);
    return;
  }
  if (spare.length < MAX_SPARE) spare.push(fd);
  else closeSync(fd);
}

function readAll(fd: number): string {
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
