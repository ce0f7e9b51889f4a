// What a run of a program takes and gives back, whoever starts it (process.ts itself or its spawner).

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the program and everything it started (its process group) after this long. */
  timeoutMs?: number;
  input?: string;
  /**
   * Called with each piece of the program's stderr as it arrives (git's progress). Such a run
   * uses a pipe for stderr and is started by gt itself, not the spawner; `stderr` in the result
   * still holds all of it.
   */
  onStderr?: (chunk: string) => void;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}
