// What a run of a program takes and gives back (src/adapters/process.ts).

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the program and everything it started (its process group) after this long. */
  timeoutMs?: number;
  input?: string;
  /**
   * Called with each piece of the program's stderr as it arrives (git's progress); `stderr` in
   * the result still holds all of it.
   */
  onStderr?: (chunk: string) => void;
  /** Called with each piece of stdout and stderr as it arrives (a merge's test output, shown live); the result still holds all of it. */
  onOutput?: (chunk: string) => void;
  /** Ends the program (SIGTERM) when aborted: for runs that wait for an event, not for a result. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}
