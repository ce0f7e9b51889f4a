import { lstat, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SessionInfo, SessionRuntime, StartSessionOptions } from './session-runtime.js';
import { run, type RunResult } from '../adapters/process.js';
import { decodeMeta, encodeMeta, int, parseShowEnvironment, tmuxArg } from './tmux-text.js';

export type { SessionInfo, StartSessionOptions };

/**
 * tmux on ONE private server per town, never the user's default server. The server is named by a
 * socket path (`tmux -S /path`: one server whichever OS user asks, see src/town/services.ts) or,
 * when a Town's spec names one, by a socket name (`tmux -L name`, under $TMUX_TMPDIR/tmux-UID/).
 *
 * How values from manifests and beads stay data (all checked on tmux 3.3a, see test/tmux.test.ts):
 * - tmux >= 3.2 executes a new-session command directly (fork + execvp, no /bin/sh) when it is
 *   given more than one argument. We always prefix the agent's argv with /usr/bin/env, so there
 *   are always at least two and no element is ever parsed by a shell.
 * - tmux splits its OWN command line on any argument that ends in `;` (`a;` becomes `a`, then a
 *   new tmux command starts with the next argument: `['x;', 'kill-server']` would kill the
 *   server). Every data argument goes through `tmuxArg`, which escapes a trailing `;` as `\;`
 *   (tmux turns that back into `;`).
 * - `new-session -c` is expanded as a format, so `#(cmd)` in a directory name would run a shell
 *   command: `#` is doubled. Env values (`-e`), the command, user option values and
 *   `send-keys -l` text are not expanded.
 * - `-t name` matches session names by prefix and pattern (`-t gt-a` finds `gt-ab`); targets are
 *   always exact (`=name`).
 * - A client whose locale is not UTF-8 gets control characters and non-ASCII replaced by `_` in
 *   command output; `-u` keeps output (environment values, captures) byte-exact.
 * - gt's metadata is kept in user options (`@gt_<key>`), percent-encoded, so a listing is one
 *   call and no value can contain the field separator or `#`.
 * - tmux refuses a command line over 16 KiB ("command too long"): long text (an issue's
 *   description) belongs in a file such as GT_PROMPT_FILE, not in argv or the environment.
 * - A new pane gets the PATH of the tmux client that created it, not `-e PATH=...`: the client
 *   runs with the agent's PATH (so the program is looked up there, as the agent contract needs).
 * - remain-on-exit is on before the command can exit (set in the same tmux call), so a crashed
 *   agent's pane stays with its exit status; see listSessions for tmux's libutempter race.
 */

export const SESSION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** The tmux wait-for channel gt's hooks signal when a pane dies or a session closes. */
export const SESSION_EVENT_CHANNEL = 'gt-session-event';
/** tmux commands (no shell) that make every pane death and closed session signal that channel. */
const SESSION_EVENT_HOOKS = ['pane-died', 'pane-exited', 'session-closed'].flatMap((hook) => ['set-hook', '-g', hook, `wait-for -S ${SESSION_EVENT_CHANNEL}`, ';']);
/** A socket name is a file name under $TMUX_TMPDIR/tmux-UID/ (no "/", not hidden, not an option). */
const SOCKET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** A unix socket path fits sockaddr_un.sun_path (108 bytes on Linux, with its terminating NUL). */
export const SOCKET_PATH_MAX = 107;
const META_KEY = /^[a-z][a-z0-9_]{0,31}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const DEFAULT_META_KEYS = ['fingerprint', 'role', 'rig', 'issue', 'agent'] as const;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Fixed program that execs the agent's argv; guarantees new-session gets >= 2 command arguments. */
const ENV_BIN = '/usr/bin/env';

export type TmuxFailure = 'noServer' | 'denied' | 'noSession' | 'duplicate' | 'tooLong' | 'timeout' | 'version' | 'other';

export class TmuxError extends Error {
  readonly stderr: string;
  readonly exitCode: number | undefined;
  constructor(
    readonly args: readonly string[],
    result: RunResult | undefined,
    readonly reason: TmuxFailure,
    message?: string,
  ) {
    super(message ?? `tmux ${args[0] ?? ''} failed: ${result ? summarize(result) : 'unknown error'}`);
    this.name = 'TmuxError';
    this.stderr = result?.stderr ?? '';
    this.exitCode = result?.exitCode;
  }
}

export interface TmuxOptions {
  /** Per-call timeout (ms); a wedged tmux never hangs the caller. */
  timeoutMs?: number;
  /** Config file for the private server; default /dev/null so the user's ~/.tmux.conf cannot change agents. */
  configFile?: string;
  /** Metadata keys listed by listSessions (each becomes `@gt_<key>`). */
  metaKeys?: readonly string[];
  /**
   * The socket path's directory is this user's alone: created (mode 0700) before a server is
   * started, and refused when someone else owns it or may write in it (a shared /tmp lets anyone
   * create the directory first and then see or replace the socket).
   */
  privateDir?: boolean;
}

/** `tmux -S PATH` or `tmux -L NAME`, as a person types it (the path quoted for a shell when it must be). */
export function tmuxCommandLine(socket: string): string {
  return isSocketPath(socket) ? `tmux -S ${/^[A-Za-z0-9_./-]+$/.test(socket) ? socket : `'${socket.replaceAll("'", `'\\''`)}'`}` : `tmux -L ${socket}`;
}

function isSocketPath(socket: string): boolean {
  return socket.startsWith('/');
}

function checkSocket(socket: string): void {
  if (isSocketPath(socket)) {
    if (socket.includes('\0')) throw new Error(`invalid tmux socket path ${JSON.stringify(socket)}: it contains a NUL byte`);
    const bytes = Buffer.byteLength(socket);
    if (bytes > SOCKET_PATH_MAX) throw new Error(`tmux socket path ${socket} is ${bytes} bytes long; a unix socket path may have at most ${SOCKET_PATH_MAX}`);
    return;
  }
  if (!SOCKET_NAME.test(socket)) {
    throw new Error(`invalid tmux socket "${socket}": an absolute path, or a name of 1-64 of A-Z a-z 0-9 _ - . (not starting with "." or "-")`);
  }
}

let baseEnv: NodeJS.ProcessEnv | undefined;

/** gt's environment for tmux clients. Inside a tmux pane TMUX and TMUX_PANE point at the user's server; ours is named by -L alone. */
function clientEnvBase(): NodeJS.ProcessEnv {
  if (!baseEnv) {
    const env = { ...process.env };
    delete env.TMUX;
    delete env.TMUX_PANE;
    baseEnv = Object.freeze(env);
  }
  return baseEnv;
}

export class Tmux implements SessionRuntime {
  readonly socket: string;
  readonly metaKeys: readonly string[];
  private readonly timeoutMs: number;
  private readonly configFile: string;
  private readonly privateDir: boolean;

  constructor(socket: string, opts: TmuxOptions = {}) {
    checkSocket(socket);
    this.socket = socket;
    this.privateDir = !!opts.privateDir && isSocketPath(socket);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.configFile = opts.configFile ?? '/dev/null';
    const keys = opts.metaKeys ?? DEFAULT_META_KEYS;
    for (const k of keys) checkMetaKey(k);
    this.metaKeys = [...new Set(keys)];
  }

  /** `tmux -S PATH` or `tmux -L NAME` for messages that tell a person how to reach this server. */
  get commandLine(): string {
    return tmuxCommandLine(this.socket);
  }

  /** Runs `tmux -u -f CONFIG -S PATH|-L NAME ...args`; never throws for a non-zero exit (see `ok`). */
  private exec(args: readonly string[], clientEnv: Record<string, string> = {}): Promise<RunResult> {
    // Copying process.env is slow (it is read through C++): the loop lists sessions every pass,
    // so the common case reuses one copy, taken once.
    const env = Object.keys(clientEnv).length ? { ...clientEnvBase(), ...clientEnv } : clientEnvBase();
    const server = isSocketPath(this.socket) ? ['-S', this.socket] : ['-L', this.socket];
    return run('tmux', ['-u', '-f', this.configFile, ...server, ...args], { env, timeoutMs: this.timeoutMs });
  }

  private async ok(args: readonly string[]): Promise<string> {
    const r = await this.exec(args);
    if (r.timedOut || r.exitCode !== 0) throw failure(args, r);
    return r.stdout;
  }

  /**
   * Every session with its first pane's state and gt's metadata, in one tmux call. No server: [].
   *
   * A second call happens only when a pane is dead but tmux has no exit status for it: tmux builds
   * linked with libutempter (Debian, Ubuntu) reset SIGCHLD to the default while the utempter helper
   * runs, which they do exactly when a pane's pty closes, so the agent's SIGCHLD can be discarded
   * and its status stays uncollected until the server's next child exits. `run-shell true` (a fixed
   * command) makes tmux fork and reap, which collects every pending status, then we list again.
   */
  async listSessions(): Promise<SessionInfo[]> {
    const first = await this.listOnce([]);
    if (!first.some((s) => s.dead && s.exitStatus === undefined && s.exitSignal === undefined)) return first;
    return this.listOnce(['run-shell', 'true', ';']);
  }

  private async listOnce(before: string[]): Promise<SessionInfo[]> {
    // Fields are joined by ':', which tmux never allows in a session name and which cannot occur in
    // the numbers or in percent-encoded metadata; the one free-text field (the command) comes last.
    // Each record starts with a nonce, so a line that does not is the rest of a command name that
    // contained a newline.
    const nonce = `gt${randomBytes(6).toString('hex')}`;
    const fields = [
      'session_name',
      'session_created',
      'window_index',
      'pane_index',
      'pane_pid',
      'pane_dead',
      'pane_dead_status',
      'pane_dead_signal',
      'window_activity',
      'session_activity',
      ...this.metaKeys.map((k) => `@gt_${k}`),
    ];
    const format = [nonce, ...fields.map((f) => `#{${f}}`), '#{pane_current_command}'].join(':');
    const args = [...before, 'list-panes', '-a', '-F', format];
    const r = await this.exec(args);
    if (r.timedOut || r.exitCode !== 0) {
      const err = failure(args, r);
      // noSession here is a server whose last session just ended ("no current target"): none.
      if (err.reason === 'noServer' || err.reason === 'noSession') return [];
      throw err;
    }
    return this.parseList(r.stdout, nonce, fields.length);
  }

  private parseList(stdout: string, nonce: string, nFields: number): SessionInfo[] {
    const records: string[] = [];
    const out = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
    for (const line of out === '' ? [] : out.split('\n')) {
      if (line.startsWith(`${nonce}:`)) records.push(line.slice(nonce.length + 1));
      else if (records.length > 0) records[records.length - 1] += `\n${line}`;
    }
    const first = new Map<string, { win: number; pane: number; info: SessionInfo }>();
    for (const rec of records) {
      const parts = rec.split(':');
      if (parts.length < nFields + 1) continue;
      const [name = '', created, win, pane, pid, dead, status, signal, winAct, sessAct] = parts;
      const meta: Record<string, string> = {};
      this.metaKeys.forEach((k, i) => {
        const raw = parts[10 + i] ?? '';
        if (raw !== '') meta[k] = decodeMeta(raw);
      });
      const activity = Math.max(int(winAct) ?? 0, int(sessAct) ?? 0);
      const info: SessionInfo = {
        name,
        created: new Date((int(created) ?? 0) * 1000),
        pid: int(pid),
        dead: dead === '1',
        exitStatus: int(status),
        exitSignal: int(signal),
        currentCommand: parts.slice(nFields).join(':'),
        activity: new Date(activity * 1000),
        meta,
      };
      const w = int(win) ?? 0;
      const p = int(pane) ?? 0;
      const seen = first.get(name);
      if (!seen || w < seen.win || (w === seen.win && p < seen.pane)) first.set(name, { win: w, pane: p, info });
    }
    return [...first.values()].map((v) => v.info);
  }

  /**
   * Starts a detached session running `argv` directly (no shell) in `cwd` with `env` added to
   * tmux's environment. In the same tmux call (atomically): remain-on-exit is on before the
   * command can exit, and the metadata is set before anyone can list the session.
   * Fails with reason 'duplicate' when the session exists (which is then left untouched).
   */
  async startSession(opts: StartSessionOptions): Promise<void> {
    checkName(opts.name);
    if (!path.isAbsolute(opts.cwd)) throw new Error(`session ${opts.name}: cwd must be an absolute path, got "${opts.cwd}"`);
    const st = await stat(opts.cwd).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`session ${opts.name}: cwd ${opts.cwd} is not a directory`);
    const argv = opts.argv;
    if (argv.length === 0 || argv[0] === '') throw new Error(`session ${opts.name}: argv must name a program`);
    // argv[0] is read by env(1): an option or a NAME=VALUE there would not be run as the program.
    if (argv[0]!.startsWith('-') || argv[0]!.includes('=')) {
      throw new Error(`session ${opts.name}: program name "${argv[0]}" must not start with "-" or contain "="`);
    }
    const envArgs: string[] = [];
    for (const [k, v] of Object.entries(opts.env)) {
      if (!ENV_KEY.test(k)) throw new Error(`session ${opts.name}: invalid environment variable name "${k}"`);
      envArgs.push('-e', tmuxArg(`${k}=${v}`));
    }
    const metaArgs: string[] = [];
    for (const [k, v] of Object.entries(opts.meta ?? {})) {
      this.checkDeclared(k);
      if (v !== '') metaArgs.push(';', 'set-option', '-t', paneTarget(opts.name), `@gt_${k}`, encodeMeta(v));
    }
    await checkVersion();
    if (this.privateDir) await ensurePrivateDir(path.dirname(this.socket));
    const args = [
      // The death notices (waitForSessionEvent) are set from the server's first session on, so
      // none is missed before the loop's next wait sets them again.
      ...SESSION_EVENT_HOOKS,
      'set-option',
      '-g',
      '-w',
      'remain-on-exit',
      'on',
      ';',
      'new-session',
      '-d',
      '-s',
      opts.name,
      '-c',
      tmuxArg(opts.cwd.replaceAll('#', '##')),
      '-x',
      '200',
      '-y',
      '50',
      ...envArgs,
      '--',
      ENV_BIN,
      ...argv.map(tmuxArg),
      ';',
      'set-option',
      '-w',
      '-t',
      paneTarget(opts.name),
      'remain-on-exit',
      'on',
      ...metaArgs,
    ];
    // tmux gives a new pane the PATH of the client that asked for it, over any `-e PATH=`, so the
    // client must carry the agent's PATH for its program to be found there.
    const r = await this.exec(args, opts.env.PATH === undefined ? {} : { PATH: opts.env.PATH });
    if (r.timedOut || r.exitCode !== 0) {
      const err = failure(args, r);
      if (err.reason === 'duplicate') throw new TmuxError(args, r, 'duplicate', `tmux session ${opts.name} already exists`);
      if (err.reason === 'tooLong') {
        throw new TmuxError(args, r, 'tooLong', `session ${opts.name}: command and environment exceed tmux's 16 KiB command limit; pass long text through a file (GT_PROMPT_FILE)`);
      }
      throw err;
    }
  }

  /**
   * Types `text` literally (no key names), then presses Enter as a separate key when asked,
   * `enterDelayMs` later: a TUI that detects pastes takes an Enter arriving with the text as part of it.
   */
  async sendKeys(name: string, text: string, opts: { enter?: boolean; enterDelayMs?: number } = {}): Promise<void> {
    checkName(name);
    if (text !== '') await this.ok(['send-keys', '-t', paneTarget(name), '-l', '--', tmuxArg(text)]);
    if (opts.enter && text !== '' && opts.enterDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.enterDelayMs));
    if (opts.enter) await this.ok(['send-keys', '-t', paneTarget(name), 'Enter']);
  }

  /**
   * The visible pane, plus up to `lines` lines of scrollback above it; wrapped lines joined,
   * trailing blank lines removed.
   */
  async capturePane(name: string, opts: { lines?: number } = {}): Promise<string> {
    checkName(name);
    const args = ['capture-pane', '-p', '-J', '-t', paneTarget(name)];
    if (opts.lines !== undefined) {
      if (!Number.isInteger(opts.lines) || opts.lines < 0) throw new Error(`capturePane: lines must be a non-negative integer`);
      args.push('-S', `-${opts.lines}`);
    }
    const out = await this.ok(args);
    return out.replace(/\s+$/, '');
  }

  async hasSession(name: string): Promise<boolean> {
    checkName(name);
    const args = ['has-session', '-t', `=${name}`];
    const r = await this.exec(args);
    if (!r.timedOut && r.exitCode === 0) return true;
    const err = failure(args, r);
    if (err.reason === 'noServer' || err.reason === 'noSession') return false;
    throw err;
  }

  /** Kills the session; nothing to do when it (or the server) does not exist. */
  async killSession(name: string): Promise<void> {
    checkName(name);
    const args = ['kill-session', '-t', `=${name}`];
    const r = await this.exec(args);
    if (!r.timedOut && r.exitCode === 0) return;
    const err = failure(args, r);
    if (err.reason !== 'noServer' && err.reason !== 'noSession') throw err;
  }

  /**
   * Waits until a pane of this server dies or a session closes, or `signal` aborts. The hooks that
   * announce it are set in the same tmux call, before waiting: they signal a wait-for channel,
   * which tmux remembers when nobody waits, so a death between two waits is never missed. Fixed
   * tmux commands, no shell. 'noServer' at once when no server runs (nothing can die there).
   */
  async waitForSessionEvent(signal: AbortSignal): Promise<'event' | 'noServer' | 'aborted'> {
    const hooks = SESSION_EVENT_HOOKS;
    const server = isSocketPath(this.socket) ? ['-S', this.socket] : ['-L', this.socket];
    // No timeout: it waits as long as nothing happens. Not even a connection when there is no server.
    const r = await run('tmux', ['-u', '-f', this.configFile, ...server, ...hooks, 'wait-for', SESSION_EVENT_CHANNEL], { env: clientEnvBase(), signal });
    if (signal.aborted) return 'aborted';
    if (r.exitCode === 0) return 'event';
    // Only a server that was not there to connect to is 'noServer'. One that went away while we
    // waited ("server exited unexpectedly", "lost server": its last session ended) is news.
    if (/no server running on|error connecting to/.test(r.stderr)) return 'noServer';
    return 'event';
  }

  /** Kills this town's server (every session on the private socket); no error when none runs. */
  async killServer(): Promise<void> {
    const args = ['kill-server'];
    const r = await this.exec(args);
    if (!r.timedOut && r.exitCode === 0) return;
    const err = failure(args, r);
    if (err.reason !== 'noServer') throw err;
  }

  /** Sets (or, with '', removes) one metadata value; `key` must be one of `metaKeys`. */
  async setMeta(name: string, key: string, value: string): Promise<void> {
    checkName(name);
    this.checkDeclared(key);
    const args = value === '' ? ['set-option', '-u', '-t', paneTarget(name), `@gt_${key}`] : ['set-option', '-t', paneTarget(name), `@gt_${key}`, encodeMeta(value)];
    await this.ok(args);
  }

  /** The session's own environment (the `-e` values and tmux's update-environment copies). */
  async sessionEnv(name: string): Promise<Record<string, string>> {
    checkName(name);
    return parseShowEnvironment(await this.ok(['show-environment', '-s', '-t', `=${name}`]));
  }

  private checkDeclared(key: string): void {
    checkMetaKey(key);
    if (!this.metaKeys.includes(key)) {
      throw new Error(`metadata key "${key}" is not listed by this adapter (known: ${this.metaKeys.join(', ')}); add it to metaKeys`);
    }
  }
}

/** `=name:` is the active pane of exactly the session `name` (no prefix or pattern match). */
function paneTarget(name: string): string {
  return `=${name}:`;
}

function checkName(name: string): void {
  if (!SESSION_NAME.test(name)) {
    throw new Error(`invalid tmux session name ${JSON.stringify(name)}: use 1-64 of A-Z a-z 0-9 _ - (tmux reads "." and ":" as separators)`);
  }
}

function checkMetaKey(key: string): void {
  if (!META_KEY.test(key)) throw new Error(`invalid metadata key ${JSON.stringify(key)}: use a-z, 0-9 and _ (starting with a letter, at most 32)`);
}

/** Creates `dir` (mode 0700) if missing; refuses one that is not a directory of this user's that only it may write to. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const st = await lstat(dir);
  const me = process.geteuid?.();
  if (!st.isDirectory() || (me !== undefined && st.uid !== me) || (st.mode & 0o022) !== 0) {
    const what = !st.isDirectory() ? 'is not a directory' : st.uid !== me ? `belongs to uid ${st.uid}, not to this user (uid ${me})` : 'may be written by others';
    throw new Error(`the tmux socket directory ${dir} ${what}, so the town's server cannot be trusted there: remove it, or set the Town's spec.tmux.socket`);
  }
}

function summarize(r: RunResult): string {
  if (r.timedOut) return 'timed out';
  return (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ') || `exit code ${r.exitCode}`;
}

function failure(args: readonly string[], r: RunResult): TmuxError {
  if (r.timedOut) return new TmuxError(args, r, 'timeout', `tmux ${args[0] ?? ''} timed out`);
  const e = r.stderr;
  // A socket of another user's server: tmux says "error connecting to" here too, with the errno.
  if (/error connecting to .*\(Permission denied\)|access not allowed/.test(e)) {
    return new TmuxError(args, r, 'denied', `tmux ${args[0] ?? ''}: this user may not reach the tmux server (${summarize(r)}); run gt as the user who owns the town`);
  }
  let reason: TmuxFailure = 'other';
  // 'server exited unexpectedly': the server was shutting down (kill-server, last session gone) as we connected.
  if (/no server running on|error connecting to|server exited unexpectedly|lost server/.test(e)) reason = 'noServer';
  else if (/duplicate session/.test(e)) reason = 'duplicate';
  // 'no current target': the server is still up with no session left (it exits right after).
  else if (/can't find (session|pane|window)|no such session|session not found|no current target/.test(e)) reason = 'noSession';
  else if (/command too long/.test(e)) reason = 'tooLong';
  return new TmuxError(args, r, reason);
}

let versionOk: Promise<void> | undefined;

/**
 * tmux before 3.2 joins new-session's command arguments with spaces and runs them with /bin/sh,
 * which would make every argv element shell syntax: refuse to start sessions there.
 */
function checkVersion(): Promise<void> {
  versionOk ??= (async () => {
    const r = await run('tmux', ['-V'], { timeoutMs: DEFAULT_TIMEOUT_MS });
    if (r.exitCode !== 0) throw new TmuxError(['-V'], r, 'version', `cannot run tmux: ${summarize(r)}`);
    const m = /(\d+)\.(\d+)/.exec(r.stdout);
    // Builds from git say "tmux master" or "next-3.x"; only a parsed old version is refused.
    if (m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 2))) {
      throw new TmuxError(['-V'], r, 'version', `${r.stdout.trim()} is too old: gt needs tmux >= 3.2 (it runs agent commands without a shell)`);
    }
  })();
  versionOk.catch(() => {
    versionOk = undefined; // let a later call retry (tmux may be installed meanwhile)
  });
  return versionOk;
}
