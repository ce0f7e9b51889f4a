import { mkdtemp, mkdir, readdir, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as `gt` on PATH runs it: the bundle (scripts/bundle.mjs), package.json's `bin`. */
export const GT_BIN = path.join(REPO_ROOT, 'dist', 'bundle', 'main.js');

export interface GtResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled gt CLI as a user would, in `cwd`, with optional stdin; as another OS user with `uid`/`gid` (root only). */
export function gt(args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Promise<GtResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GT_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, GT_TOWN: '', ...opts.env },
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** The directory tmux keeps its sockets in for this user. */
export function tmuxSocketDir(): string {
  return path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`);
}

/** How tmux is told which server: a town's socket is a path (`-S`); a socket named in a Town's spec is a name (`-L`). */
export function tmuxServer(socket: string): string[] {
  return socket.startsWith('/') ? ['-S', socket] : ['-L', socket];
}

/** Ends a town's tmux server (if any) and removes its socket file, which tmux leaves behind. */
export async function killTmuxServer(socket: string): Promise<void> {
  try {
    execFileSync('tmux', [...tmuxServer(socket), 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server left: nothing to kill
  }
  await rm(socket.startsWith('/') ? socket : path.join(tmuxSocketDir(), socket), { force: true });
}

export async function tempDir(prefix = 'gt-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
}

/** A bare repository with one commit on `main` holding `files`; returns its path. */
export async function bareRepo(dir: string, files: Record<string, string> = { 'README.md': 'toy\n' }): Promise<string> {
  const work = path.join(dir, 'seed-work');
  await mkdir(work, { recursive: true });
  git(['init', '-q', '-b', 'main'], work);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(work, name)), { recursive: true });
    await writeFile(path.join(work, name), content);
  }
  git(['add', '.'], work);
  git(['commit', '-q', '-m', 'initial'], work);
  const bare = path.join(dir, 'remote.git');
  git(['clone', '-q', '--bare', work, bare], dir);
  await rm(work, { recursive: true, force: true });
  return bare;
}

export function townYaml(root: string, name = 'test'): string {
  return `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: ${name}
spec:
  root: ${root}
`;
}

export function rigYaml(name: string, gitUrl: string, extra = ''): string {
  return `apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: ${name}
spec:
  gitUrl: ${gitUrl}
${extra}`;
}

/** Every file under `dir` with its content, for byte-for-byte comparisons of the store. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = await readFile(p, 'utf8');
    }
  };
  await walk(dir);
  return out;
}

export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
