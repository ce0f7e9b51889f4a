/**
 * Where agent sessions run: start, list, end, type into, read the screen of, and be told of the
 * death of a session. The controllers see only this; tmux on the town's private socket is today's
 * implementation (src/runtime/tmux.ts), a Kubernetes Pod with an attached TTY the planned next
 * (DESIGN.md, "Scale-out"): a new adapter, not a change to any controller.
 */
export interface SessionRuntime {
  /** How a person reaches these sessions by hand (`tmux -S PATH`), for messages and docs. */
  readonly commandLine: string;
  /** Every session with its first pane's state and gt's metadata. No server: []. */
  listSessions(): Promise<SessionInfo[]>;
  hasSession(name: string): Promise<boolean>;
  /** Starts `argv` directly (never through a shell) in a new detached session; its pane is kept after it exits. */
  startSession(opts: StartSessionOptions): Promise<void>;
  /** Ends the session; nothing to do when it does not exist. */
  killSession(name: string): Promise<void>;
  /**
   * Types `text` literally (no key names), then presses Enter as a separate key when asked, after
   * `enterDelayMs` (TUIs that detect a paste swallow an Enter sent with the text).
   */
  sendKeys(name: string, text: string, opts?: { enter?: boolean; enterDelayMs?: number }): Promise<void>;
  /** The visible screen plus up to `lines` lines of scrollback, trailing blank lines removed. */
  capturePane(name: string, opts?: { lines?: number }): Promise<string>;
  /** Sets (or, with '', removes) one of gt's metadata values on the session. */
  setMeta(name: string, key: string, value: string): Promise<void>;
  /** The session's own environment. */
  sessionEnv(name: string): Promise<Record<string, string>>;
  /**
   * Resolves when a session's process dies or a session ends ('event'), at once when nothing
   * runs sessions at all ('noServer'), or when `signal` aborts.
   */
  waitForSessionEvent(signal: AbortSignal): Promise<'event' | 'noServer' | 'aborted'>;
  /** Ends every session of the town. */
  killServer(): Promise<void>;
}

export interface SessionInfo {
  name: string;
  created: Date;
  /** pid of the session's first pane (the agent process; after it died, the pid it had). */
  pid: number | undefined;
  /** The process in the first pane has exited (the pane is kept). */
  dead: boolean;
  /** Exit status of a dead pane that exited normally (undefined while it is not known yet). */
  exitStatus: number | undefined;
  /** Signal number that killed a dead pane's process. */
  exitSignal: number | undefined;
  /** The pane's foreground process name. */
  currentCommand: string;
  /** Latest output or input in the session. */
  activity: Date;
  /** gt's metadata; only non-empty values of the declared keys. */
  meta: Record<string, string>;
}

export interface StartSessionOptions {
  name: string;
  /** Absolute path of an existing directory. */
  cwd: string;
  env: Record<string, string>;
  /** The agent's command; executed directly, never by a shell. */
  argv: string[];
  meta?: Record<string, string>;
}
