import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { capturePath, discard, giveBack, readAll, takeCapture, takeInput, type Capture } from './capture.js';
import type { RunOptions, RunResult } from './run-types.js';
import { SPAWNER_SCRIPT } from './spawner-script.js';

interface Pending {
  command: string;
  args: readonly string[];
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  out: Capture;
  err: Capture;
  input: Capture | undefined;
  group: boolean;
  pid?: number;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));
/** A spawner that is not ready by then (a python3 that hangs) is given up: runs stay direct. */
const START_TIMEOUT_MS = 10_000;

/**
 * A small resident Python process (spawner-script.ts) that starts programs for gt. On Linux,
 * node forks a copy of itself for every spawn, page tables and copy-on-write faults included:
 * 4.5 ms of gt's CPU at 55 MB and 6.5 ms at 150 MB on the benchmark machine, whereas the
 * spawner's posix_spawn copies nothing: about 0.5 ms of its CPU and 0.5 ms of gt's (the request,
 * the reply, the capture files) per program, whatever gt's size.
 *
 * Each run keeps what a direct spawn promises (process.ts): argv as separate fields, never a
 * shell; cwd and env per run; stdout and stderr in capture files; with a timeout the program
 * leads its own session and process group, which is killed at the timeout and when the program
 * exits; a signal means exit code 128; a program that cannot start rejects like node's spawn.
 */
export class Spawner {
  state: 'starting' | 'ready' | 'dead' = 'starting';
  /** Resolves true once requests are accepted, false if the spawner could not start. */
  readonly ready: Promise<boolean>;
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private partial = '';
  private wasReady = false;
  private closed = false;
  private settleReady!: (ok: boolean) => void;

  constructor(python: string) {
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    const probe = takeCapture();
    try {
      // Not detached: Ctrl-C reaches it with gt's process group, and it survives that on purpose.
      this.child = spawn(python, ['-I', '-S', '-c', SPAWNER_SCRIPT, capturePath(probe)], { stdio: ['pipe', 'pipe', 'inherit'] });
    } catch (e) {
      giveBack(probe);
      throw e;
    }
    const giveUp = setTimeout(() => this.child.kill('SIGKILL'), START_TIMEOUT_MS);
    const done = (ok: boolean) => {
      clearTimeout(giveUp);
      giveBack(probe);
      this.settleReady(ok);
    };
    const stdin = this.child.stdin as Socket;
    const stdout = this.child.stdout as Socket;
    // It is only a helper: it must never keep gt alive, except to learn whether it started
    // (someone may be awaiting `ready`) and while runs are in flight.
    this.child.unref();
    stdin.unref();
    // A write after its death fails with EPIPE; the death itself is handled on close.
    stdin.on('error', () => undefined);
    stdout.on('data', (chunk: Buffer) => this.receive(chunk.toString('latin1'), done));
    // No new run is sent once it has exited; the ones in flight wait for the rest of its output.
    this.child.on('exit', () => (this.state = 'dead'));
    this.child.on('error', () => this.died(done, 'could not be started'));
    this.child.on('close', (code, signal) => this.died(done, signal ? `was killed by ${signal}` : `exited with code ${code}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether it had been ready before it died (a spawner that never started is not tried again). */
  get crashed(): boolean {
    return this.state === 'dead' && this.wasReady;
  }

  /**
   * undefined when the run cannot go this way: a NUL in a value, an empty program name, or an
   * environment name Python refuses (empty or holding '='). The caller spawns it directly, so
   * it behaves (or fails) exactly as before.
   */
  run(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> | undefined {
    if (command === '') return undefined;
    const env: string[] = [];
    for (const [k, v] of Object.entries(opts.env ?? process.env)) {
      if (v === undefined) continue;
      if (k === '' || k.includes('=')) return undefined;
      env.push(`${k}=${v}`);
    }
    let cwd: string;
    try {
      cwd = path.resolve(opts.cwd ?? '.');
    } catch {
      return undefined; // our own directory is gone: only a direct spawn can start there
    }
    if ([command, cwd, ...args, ...env].some((s) => s.includes('\0'))) return undefined;
    const group = opts.timeoutMs !== undefined;
    return new Promise((resolve, reject) => {
      const input = opts.input === undefined ? undefined : takeInput(opts.input);
      const out = takeCapture();
      const err = takeCapture();
      const id = this.nextId++;
      const p: Pending = { command, args, resolve, reject, out, err, input, group, timedOut: false };
      this.pending.set(id, p);
      if (this.pending.size === 1) (this.child.stdout as Socket).ref();
      const stdin = input === undefined ? '/dev/null' : capturePath(input);
      this.send(['S', String(id), group ? '1' : '0', cwd, stdin, capturePath(out), capturePath(err), String(args.length + 1), command, ...args, ...env]);
      if (opts.timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          p.timedOut = true;
          this.send(['K', String(id)]);
        }, opts.timeoutMs);
      }
    });
  }

  /**
   * Signals the process group of every run in flight that leads one and has told its pid (runs
   * younger than 200 ms have not; the spawner kills those when gt's exit closes its pipe).
   * Synchronous, for a signal handler right before exit. Returns how many it signalled.
   */
  endGroups(signal: NodeJS.Signals): number {
    let n = 0;
    for (const p of this.pending.values()) {
      if (!p.group || !p.pid) continue;
      try {
        process.kill(-p.pid, signal);
        n++;
      } catch {
        // It has ended meanwhile.
      }
    }
    return n;
  }

  private send(fields: string[]): void {
    const body = fields.join('\0');
    const len = Buffer.byteLength(body);
    const frame = Buffer.allocUnsafe(4 + len);
    frame.writeUInt32BE(len, 0);
    frame.write(body, 4);
    this.child.stdin!.write(frame);
  }

  private receive(text: string, started: (ok: boolean) => void): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const [kind, a = '', b = ''] = line.split(' ');
      if (kind === 'R') {
        if (this.state === 'starting') this.state = 'ready';
        this.wasReady = true;
        if (this.pending.size === 0) (this.child.stdout as Socket).unref();
        started(true);
        continue;
      }
      const id = Number(a);
      const p = this.pending.get(id);
      if (!p) continue;
      if (kind === 'S') {
        p.pid = Number(b);
      } else if (kind === 'E' || kind === 'F') {
        this.finish(id, p);
        if (kind === 'E') {
          try {
            p.resolve({ exitCode: Number(b), stdout: readAll(p.out), stderr: readAll(p.err), timedOut: p.timedOut });
          } catch (e) {
            p.reject(e as Error);
          }
        } else {
          p.reject(spawnError(p.command, p.args, Number(b)));
        }
        this.release(p, giveBack);
      }
    }
  }

  private finish(id: number, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) (this.child.stdout as Socket).unref();
  }

  private release(p: Pending, how: (c: Capture) => void): void {
    how(p.out);
    how(p.err);
    if (p.input !== undefined) how(p.input);
  }

  /**
   * Runs in flight fail, and are not run again: the spawner may have started them (a push must
   * never happen twice). Their process groups are killed, since nobody can wait for them any
   * more (a group run's pid is told once it has run 200 ms: one started just before the death
   * is left to finish on its own), and their capture files are dropped, since a program may
   * still be writing to them.
   */
  private died(started: (ok: boolean) => void, how: string): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'dead';
    if (!this.wasReady) started(false);
    for (const [id, p] of this.pending) {
      this.finish(id, p);
      if (p.group && p.pid) {
        try {
          process.kill(-p.pid, 'SIGKILL');
        } catch {
          // the group is gone already
        }
      }
      this.release(p, discard);
      p.reject(new Error(`gt's process spawner (pid ${this.child.pid}) ${how} while running ${p.command}; it may or may not have run, and was not retried`));
    }
  }
}

/** The error node's spawn gives when a program cannot be started (callers test `code`). */
function spawnError(command: string, args: readonly string[], errno: number): Error {
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(`spawn ${command} ${code}`), { errno: -errno, code, syscall: `spawn ${command}`, path: command, spawnargs: [...args] });
}
