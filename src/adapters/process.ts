import diagnostics from 'node:diagnostics_channel';
import type { RunOptions, RunResult } from './run-types.js';

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

/** Loaded on the first run: commands that start no program (gt get, gt apply) never pay for it. */
let execaModule: Promise<typeof import('execa')> | undefined;

/**
 * Runs a program with an argument array and no shell (execa), so no value from a manifest or an
 * issue can ever be read as shell syntax. The result always resolves with the exit status; only
 * a program that could not be started at all (ENOENT, EACCES) rejects, with node's own error.
 */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = runWithExeca(command, args, opts);
  if (!startChannel.hasSubscribers && !endChannel.hasSubscribers) return result;
  const trace: RunTrace = { command, args };
  startChannel.publish(trace);
  const end = () => endChannel.publish(trace);
  result.then(end, end);
  return result;
}

/** Programs this process started and still waits for, with whether each leads its own process group. */
const running = new Map<number, boolean>();

/**
 * Ends every program gt is still waiting for (a clone, a test command), with what it started in
 * turn where it leads a process group: for an interrupted gt (src/cli/interrupt.ts), whose
 * children would otherwise run on unseen. Synchronous: it runs in a signal handler right before
 * exit. Returns how many it signalled.
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
  return n;
}

async function runWithExeca(command: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  const { execa } = await (execaModule ??= import('execa'));
  // With a timeout the child leads its own process group, so that a timeout ends everything it
  // started (a test runner's workers, say), not only the runner.
  const grouped = opts.timeoutMs !== undefined;
  const child = execa(command, args, {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: opts.env ?? process.env,
    extendEnv: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    reject: false,
    stripFinalNewline: false,
    detached: grouped,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    // No cap: a merge's test output can be long, and the tail is what people read.
    maxBuffer: Number.POSITIVE_INFINITY,
  });
  const pid = child.pid;
  if (pid !== undefined) running.set(pid, grouped);
  const onStderr = opts.onStderr;
  if (onStderr) child.stderr?.on('data', (chunk: Buffer) => onStderr(chunk.toString('utf8')));
  const onOutput = opts.onOutput;
  if (onOutput) for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => onOutput(chunk.toString('utf8')));
  let timedOut = false;
  const killGroup = () => {
    try {
      process.kill(-pid!, 'SIGKILL');
    } catch {
      // The group is gone already (nothing left in it).
    }
  };
  const timer = grouped && pid !== undefined ? setTimeout(() => ((timedOut = true), killGroup()), opts.timeoutMs) : undefined;
  // What a grouped program started and left behind (a test runner's workers) ends with it, and
  // so cannot keep its output open and hold the result back. Daemons (tmux's server, git's
  // background gc) have left the group by then.
  if (grouped && pid !== undefined) child.once('exit', killGroup);
  try {
    const r = await child;
    // Could not be started at all: the caller decides what a missing program means.
    if (r.failed && r.exitCode === undefined && r.signal === undefined && !timedOut && !r.isCanceled) throw startError(r.cause, command);
    return { exitCode: r.exitCode ?? 128, stdout: text(r.stdout), stderr: text(r.stderr), timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    if (pid !== undefined) running.delete(pid);
  }
}

function text(out: unknown): string {
  return typeof out === 'string' ? out : '';
}

/** Node's own spawn error (with its `code`, ENOENT and the like), which callers test for. */
function startError(cause: unknown, command: string): Error {
  if (cause instanceof Error) return cause;
  return new Error(`could not start ${command}: ${String(cause)}`);
}
