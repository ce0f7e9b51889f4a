import { mkdir, rename, rm } from 'node:fs/promises';
import { lstatIfExists, readTextIfExists, statIfExists } from '../util/fs-read.js';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { run, type RunOptions, type RunResult } from './process.js';

/** Seconds a remote host may take to answer before git gives up on it. */
export const CONNECT_TIMEOUT_S = 10;

/**
 * Never prompt for credentials or host keys (a reconcile loop must not hang), give up on a host
 * that does not answer within seconds (ssh: connect and banner; http: a transfer stalled for
 * 30 s), and parse git's English output. A person's own GIT_SSH_COMMAND, GIT_SSH or low-speed
 * settings are kept.
 */
export function gitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const ssh = env.GIT_SSH_COMMAND || env.GIT_SSH ? {} : { GIT_SSH_COMMAND: `ssh -o BatchMode=yes -o ConnectTimeout=${CONNECT_TIMEOUT_S} -o ServerAliveInterval=15 -o ServerAliveCountMax=4` };
  const http = env.GIT_HTTP_LOW_SPEED_LIMIT ? {} : { GIT_HTTP_LOW_SPEED_LIMIT: '1', GIT_HTTP_LOW_SPEED_TIME: '30' };
  return { ...env, ...ssh, ...http, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C' };
}
const GIT_ENV = gitEnv(process.env);
/** Transports that execute commands are refused whatever the user's git config says. */
const SAFE = ['-c', 'protocol.ext.allow=never', '-c', 'protocol.fd.allow=never'];

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: RunResult,
  ) {
    super(`git ${args[0]} failed: ${summarize(result)}`);
    this.name = 'GitError';
  }
}

/** git's progress meter and chatter: never the reason something failed. */
const PROGRESS_LINE =
  /^(remote: )?(Cloning into|Enumerating objects|Counting objects|Compressing objects|Receiving objects|Resolving deltas|Updating files|Total \d|Unpacking objects|Checking out files)/;

/** What git adds to every failed remote operation, whatever the cause: never the reason. */
const BOILERPLATE = /^(fatal: Could not read from remote repository\.|Please make sure you have the correct access rights|and the repository exists\.)$/;

/** The lines of git's output that say what failed: not its hints, progress or boilerplate. */
function summarize(r: RunResult): string {
  if (r.timedOut) return 'timed out';
  const lines = (r.stderr || r.stdout)
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('hint:') && !PROGRESS_LINE.test(l) && !BOILERPLATE.test(l));
  return lines.slice(-3).join(' / ') || `exit code ${r.exitCode}`;
}

/** Splits a stream of git's stderr (progress redraws with \r) into whole lines. */
function progressLines(onLine: (line: string) => void): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk).split(/[\r\n]/);
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) onLine(p.trim());
  };
}

/** `input` is written to git's stdin (hash-object --stdin, mktree). */
export type GitOptions = Pick<RunOptions, 'cwd' | 'timeoutMs' | 'onStderr' | 'input'>;

export async function git(args: string[], opts: GitOptions = {}): Promise<RunResult> {
  return run('git', [...SAFE, ...args], { ...opts, env: GIT_ENV });
}

export async function gitOk(args: string[], opts: GitOptions = {}): Promise<string> {
  const r = await git(args, opts);
  if (r.exitCode !== 0) throw new GitError(args, r);
  return r.stdout;
}

/** The state of a clone's work, for deciding whether deleting it could lose anything. */
export interface WorkState {
  /** undefined when HEAD is detached. */
  branch: string | undefined;
  /** Changed, staged or untracked entries. */
  dirty: number;
  stashes: number;
  /** Commits on local branches or HEAD that no remote-tracking ref holds (Infinity: could not tell). */
  unpushed: number;
}

/** What a directory that should be a clone looks like right now. */
export type CloneState =
  | { state: 'missing' }
  | { state: 'notRepo' }
  /** `work` only when asked for: it costs git processes, while identity is read from files. */
  | { state: 'repo'; remoteUrl: string | undefined; work?: WorkState };

/**
 * Identity (is it a repository, what is its origin) comes from reading .git/ directly: the rig
 * controller checks every clone on every pass, and a git process per clone would be most of the
 * cost of gt diff. Configs using include directives, and worktree-style `.git` files, are left
 * to git itself.
 */
export async function inspectClone(dir: string, opts: { work?: boolean } = {}): Promise<CloneState> {
  const gitDir = path.join(dir, '.git');
  const st = await lstatIfExists(gitDir);
  if (!st) return (await lstatIfExists(dir)) ? { state: 'notRepo' } : { state: 'missing' };
  let remoteUrl: string | undefined;
  // Only that HEAD is there matters (what it names does not): a stat, not a read.
  const [config, head] = st.isDirectory() ? await Promise.all([readTextIfExists(path.join(gitDir, 'config')), statIfExists(path.join(gitDir, 'HEAD'))]) : [];
  if (config !== undefined && head?.isFile() && !/^\s*\[include/im.test(config)) {
    remoteUrl = originUrl(config);
  } else {
    const r = await git(['config', '--get', 'remote.origin.url'], { cwd: dir });
    if (r.exitCode !== 0 && !(await isRepo(dir))) return { state: 'notRepo' };
    remoteUrl = r.exitCode === 0 ? r.stdout.trim() : undefined;
  }
  if (!opts.work) return { state: 'repo', remoteUrl };
  const work = await inspectWork(dir);
  return work ? { state: 'repo', remoteUrl, work } : { state: 'notRepo' };
}

async function isRepo(dir: string): Promise<boolean> {
  return (await git(['rev-parse', '--git-dir'], { cwd: dir })).exitCode === 0;
}

/** `url` of `[remote "origin"]` in a git config file (the last one wins, as in git). */
export function originUrl(config: string): string | undefined {
  let inOrigin = false;
  let url: string | undefined;
  for (const raw of config.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inOrigin = /^\[\s*remote\s+"origin"\s*\]$/i.test(line);
      continue;
    }
    if (!inOrigin) continue;
    const m = /^url\s*=\s*(.*)$/i.exec(line);
    if (m) url = unquote(m[1]!.trim());
  }
  return url;
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(["\\])/g, '$1') : v;
}

async function inspectWork(dir: string): Promise<WorkState | undefined> {
  const [status, unpushed] = await Promise.all([
    git(['status', '--porcelain=v2', '--branch', '--show-stash', '--untracked-files=normal'], { cwd: dir }),
    git(['rev-list', '--count', 'HEAD', '--branches', '--not', '--remotes'], { cwd: dir }),
  ]);
  if (status.exitCode !== 0) return undefined;
  let branch: string | undefined;
  let dirty = 0;
  let stashes = 0;
  for (const line of status.stdout.split('\n')) {
    if (line.startsWith('# branch.head ')) {
      const h = line.slice('# branch.head '.length);
      branch = h === '(detached)' ? undefined : h;
    } else if (line.startsWith('# stash ')) stashes = Number(line.slice('# stash '.length));
    else if (line && !line.startsWith('#')) dirty++;
  }
  // An unborn HEAD (empty repository) has nothing to lose; any other failure counts as unsafe.
  const count = unpushed.exitCode === 0 ? Number(unpushed.stdout.trim()) : /unknown revision|bad revision|ambiguous argument 'HEAD'/.test(unpushed.stderr) ? 0 : Infinity;
  return { branch, dirty, stashes, unpushed: count };
}

export const PARTIAL_MARK = '.gt-partial-';

/** The longest a clone, fetch or push may run (a big repository over a slow link). */
export const TRANSFER_TIMEOUT_MS = 10 * 60_000;

/** Where a long step reports how far it got: one line at a time (git's own progress lines). */
export type ProgressSink = (line: string) => void;

/**
 * Clones into a temporary sibling and renames it into place, so a failed or interrupted clone
 * never leaves a half-made clone at `dest` (leftover temporaries are found by their name).
 * With `onProgress`, git's own progress is passed on line by line.
 */
export async function cloneInto(url: string, branch: string | undefined, dest: string, config: Record<string, string> = {}, onProgress?: ProgressSink): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}${PARTIAL_MARK}${process.pid}-${randomBytes(3).toString('hex')}`;
  const settings = Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${v}`]);
  try {
    await gitOk(['clone', onProgress ? '--progress' : '--quiet', '--origin', 'origin', ...(branch ? ['--branch', branch] : []), ...settings, '--', url, tmp], {
      timeoutMs: TRANSFER_TIMEOUT_MS,
      // "Cloning into" names the temporary directory (a local clone ends that line with "done."): nothing to the reader.
      ...(onProgress ? { onStderr: progressLines((line) => !line.startsWith('Cloning into') && line !== 'done.' && onProgress(line)) } : {}),
    });
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!(err instanceof GitError)) throw err;
    const noBranch = /Remote branch .* not found/.test(err.result.stderr);
    throw new CloneError(
      explainCloneFailure(url, branch, err, noBranch ? await remoteBranches(url) : undefined),
      noBranch ? 'noSuchBranch' : UNREACHABLE.test(err.result.stderr) ? 'unreachable' : 'other',
    );
  }
}

/**
 * A clone that failed, with what kind of failure: a branch the remote does not have is the spec's
 * mistake (retrying cannot fix it); an unreachable host may come back.
 */
export class CloneError extends Error {
  constructor(
    message: string,
    readonly why: 'noSuchBranch' | 'unreachable' | 'other',
  ) {
    super(message);
    this.name = 'CloneError';
  }
}

/** git's words for a remote host that cannot be reached (ssh, http and git transports). */
const UNREACHABLE =
  /Connection timed out|Connection refused|Could not resolve host|No route to host|Network is unreachable|Operation timed out|Failed to connect to|timed out during banner exchange|Connection closed by remote host|Connection reset by peer|Operation too slow/i;

/** The branch names a remote has (git ls-remote --heads), or undefined when it cannot be asked. */
async function remoteBranches(url: string): Promise<string[] | undefined> {
  const r = await git(['ls-remote', '--heads', '--', url], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) return undefined;
  return r.stdout.split('\n').flatMap((l) => /\trefs\/heads\/(.+)$/.exec(l)?.[1] ?? []);
}

function explainCloneFailure(url: string, branch: string | undefined, err: GitError, branches: string[] | undefined): string {
  const text = err.result.stderr;
  if (UNREACHABLE.test(text)) return `cannot clone ${url}: the host is unreachable (${summarize(err.result)})`;
  if (/Remote branch .* not found/.test(text)) {
    const there = branches === undefined ? '' : branches.length ? ` (its branches: ${branches.join(', ')})` : ' (it has no branches yet)';
    return `cannot clone ${url}: it has no branch "${branch}"${there}; set the Rig's defaultBranch to one it has, or leave it out to use the remote's default branch`;
  }
  if (/does not appear to be a git repository|not found|does not exist|No such file/i.test(text)) return `cannot clone ${url}: no such repository`;
  return `cannot clone ${url}: ${summarize(err.result)}`;
}

/** Remote URLs compare equal when they name the same place (trailing slashes and `.git/` suffixes aside). */
export function sameRemote(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const norm = (u: string) => u.replace(/\/+$/, '').replace(/\/\.git$/, '');
  return norm(a) === norm(b);
}

/**
 * A ref's commit read from .git (loose ref file, then packed-refs), or undefined. No git process:
 * spawning one costs more than the whole lookup.
 */
export async function readRef(dir: string, ref: string): Promise<string | undefined> {
  const loose = await readTextIfExists(path.join(dir, '.git', ref));
  if (loose !== undefined && /^[0-9a-f]{40,64}\s*$/.test(loose)) return loose.trim();
  const packed = (await readTextIfExists(path.join(dir, '.git', 'packed-refs'))) ?? '';
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
  }
  return undefined;
}
