import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { giveBack, readAll, takeCapture } from './capture.js';
import type { RunOptions, RunResult } from './run-types.js';
import { Spawner } from './spawner.js';

export type { RunOptions, RunResult };

/**
 * What a run looks like to a diagnostics_channel subscriber (the benchmarks' spawn log): the same
 * object is published on RUN_START when the run begins and on RUN_END when it has settled.
 */
export interface RunTrace {
  command: string;
  args: readonly string[];
}
export const RUN_START = 'gt:run:start';
export const RUN_END = 'gt:run:end';
const startChannel = diagnostics.channel(RUN_START);
const endChannel = diagnostics.channel(RUN_END);

let spawner: Spawner | undefined;
let python: string | undefined;

/**
 * Routes later runs through a resident spawner process (spawner.ts) once it is ready, which
 * makes each spawn far cheaper for a long-running gt (the loop). Short commands do not call it:
 * starting it costs about 50 ms of CPU (gt's and Python's), ten spawns' worth, and `gt diff`
 * spawns next to nothing. Until it is ready runs are started directly, and so they stay when it
 * cannot be used (not Linux, GT_SPAWNER=0, no python3 >= 3.8, or it fails to start); if a
 * ready spawner dies, the next run starts a new one. Resolves whether it is ready.
 */
export function useSpawner(opts: { python?: string } = {}): Promise<boolean> {
  if (process.platform !== 'linux' || process.env.GT_SPAWNER === '0') return Promise.resolve(false);
  python = opts.python ?? 'python3';
  if (!spawner || spawner.state === 'dead') spawner = startSpawner(python);
  return spawner?.ready ?? Promise.resolve(false);
}

function startSpawner(program: string): Spawner | undefined {
  try {
    return new Spawner(program);
  } catch {
    return undefined; // node could not even try (out of descriptors, say): spawn directly
  }
}

/** pid of the ready spawner, if runs go through one (the benchmarks count its CPU as gt's). */
export function spawnerPid(): number | undefined {
  return spawner?.state === 'ready' ? spawner.pid : undefined;
}

/**
 * Runs a program with an argument array and no shell, so no value from a manifest or an issue
 * can ever be read as shell syntax. (We use this instead of execa: execa 9 costs ~140 ms to
 * import here, half of gt diff's whole time budget; see README, "Stack changes".) The spawner
 * starts it if this process has one ready (useSpawner), gt itself otherwise: same guarantees.
 */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (spawner?.crashed && python) spawner = startSpawner(python);
  const viaSpawner = spawner?.state === 'ready' && !opts.onStderr ? spawner.run(command, args, opts) : undefined;
  const result = viaSpawner ?? runDirect(command, args, opts);
  if (!startChannel.hasSubscribers && !endChannel.hasSubscribers) return result;
  const trace: RunTrace = { command, args };
  startChannel.publish(trace);
  const end = () => endChannel.publish(trace);
  result.then(end, end);
  return result;
}

/** Programs this process started itself and that still run, with whether each leads its own process group. */
const running = new Map<number, boolean>();

/**
 * Ends every program gt is still waiting for (a clone, a test command), started by itself or by
 * its spawner, with what it started in turn where it leads a process group: for an interrupted
 * gt (src/cli/interrupt.ts), whose children would otherwise run on unseen. Synchronous: it runs
 * in a signal handler right before exit. Returns how many it signalled.
 */
export function endChildren(signal: NodeJS.Signals = 'SIGTERM'): number {
  let n = 0;
  for (const [pid, group] of running) {
    try {
      process.kill(group ? -pid : pid, signal);
      n++;
    } catch {
      // It has ended meanwhile.
    }
  }
  running.clear();
  return n + (spawner?.endGroups(signal) ?? 0);
}

function runDirect(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
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
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', out.fd, opts.onStderr ? 'pipe' : err.fd],
        shell: false,
        // With a timeout the child leads its own process group, so that a timeout ends
        // everything it started (a test runner's workers, say), not only the runner.
        detached: opts.timeoutMs !== undefined,
      });
    } catch (e) {
      release();
      throw e;
    }
    let streamed = '';
    const onStderr = opts.onStderr;
    if (onStderr) {
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        streamed += chunk;
        onStderr(chunk);
      });
    }
    const stderrClosed = onStderr ? new Promise<void>((done) => child.stderr!.on('close', done)) : Promise.resolve();
    const pid = child.pid;
    if (pid !== undefined) running.set(pid, opts.timeoutMs !== undefined);
    child.once('close', () => {
      if (pid !== undefined) running.delete(pid);
    });
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
      let stdout: string;
      let stderr: string;
      try {
        stdout = readAll(out);
        stderr = readAll(err);
      } finally {
        release();
      }
      // A piped stderr may still hold its last chunk when the program has exited; a descendant
      // that kept it open must not hold the result back.
      void Promise.race([stderrClosed, new Promise((r) => setTimeout(r, 1000).unref())]).then(() => resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr: onStderr ? streamed : stderr, timedOut }));
    });
    if (opts.input !== undefined) {
      // A program may exit without reading its input (EPIPE): its exit status tells the caller.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}
