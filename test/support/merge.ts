import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { inboxPath } from '../../src/mail/address.js';
import { Mailbox } from '../../src/mail/mailbox.js';
import { idOf, parseJson, statusJson } from './json.js';
import { bareRepo, exists, git, GT_BIN, killTmuxServer, tempDir } from './town.js';
import { installPushHook } from './push-hook.js';

/**
 * The toy project: `node test.js` fails when status.txt says "red" (and prints why, so the tail
 * of its output can be looked for in the rejection) or when left.txt and right.txt are both
 * there (two branches, each green alone, red together), hangs when it says "hang" (with a helper
 * process that keeps the output pipes open for 20 s), passes otherwise (and then writes an
 * untracked test-report.txt when the project has a file `write-report`).
 */
export const TOY_FILES: Record<string, string> = {
  'README.md': 'toy\n',
  'status.txt': 'green\n',
  'shared.txt': 'line one\nline two\nline three\n',
  'test.js': `const fs = require('fs');
const s = fs.readFileSync('status.txt', 'utf8').trim();
console.log('checking status.txt');
if (s.includes('hang')) {
  // Hangs, with a helper process holding its output open (as the child of \`npm test\` would).
  require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'inherit' });
  setInterval(() => {}, 1000);
} else if (s.includes('red')) {
  console.error('TESTS RED: status.txt says ' + s);
  process.exit(1);
} else if (fs.existsSync('left.txt') && fs.existsSync('right.txt')) {
  console.error('TESTS RED: left.txt and right.txt together');
  process.exit(1);
} else {
  console.log('tests green: status.txt says ' + s);
  // Like a coverage or JUnit report: only in projects that ask for it.
  if (fs.existsSync('write-report')) fs.writeFileSync('test-report.txt', 'passed\\n');
}
`,
};

export interface ManifestOptions {
  strategy?: string;
  /** The rig's mergeQueue.testCommand; by default the toy project's `node test.js`. */
  testCommand?: string[];
  testTimeout?: string;
  rigExtra?: string;
  extraManifests?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface Prepared {
  issueId: string;
  polecat: string;
  branch: string;
  head: string;
}

export interface MergeRequestFile {
  issueId: string;
  branch: string;
  head: string;
  polecat: string;
  readyAt: string;
  failedHead?: string;
  failure?: string;
  asked?: { plugin: string; messageId: string; at: string };
}

export interface Issue {
  id: string;
  status: string;
  priority: number;
  assignee?: string;
  close_reason?: string;
  comments?: { author: string; text: string }[];
}

export interface Mail {
  id: string;
  from: string;
  to: string;
  subject: string;
  body: string;
  type: string;
  replyTo?: string;
}

/**
 * A town with one suspended rig `wyvern` (no polecat is ever dispatched, no tmux) whose merge
 * queue works requests prepared by hand exactly as the worker pool writes them. The bare remote
 * has a post-receive hook that runs the toy tests on every commit pushed to main and logs
 * `<sha> <exit code>` to `pushes.log`, so "main passes its tests after every push" is checked
 * for every push, not only for the final state.
 */
export class MergeTown {
  private readonly greenMains = new Set<string>();
  /** The town's tmux socket: a plugin's session runs there; `dispose` ends its server. */
  socket = '';
  private constructor(
    readonly dir: string,
    readonly root: string,
    readonly bare: string,
    readonly work: string,
  ) {}

  static async create(opts: ManifestOptions = {}): Promise<MergeTown> {
    const dir = await tempDir('gt-merge-');
    const root = path.join(dir, 'town');
    const bare = await bareRepo(dir, TOY_FILES);
    const t = new MergeTown(dir, root, bare, path.join(dir, 'work'));
    await installPushHook(t.bare);
    git(['clone', '-q', bare, t.work], dir);
    await t.writeManifest(opts);
    const a = await t.gt(['apply', '-f', path.join(dir, 'town.yaml')]);
    if (a.code !== 0) throw new Error(`apply failed: ${a.stdout}\n${a.stderr}`);
    t.socket = statusJson((await t.gt(['status', '-o', 'json'])).stdout).socket;
    if (!(await exists(path.join(t.refineryClone, '.git')))) throw new Error('apply made no refinery clone');
    return t;
  }

  get refineryClone(): string {
    return path.join(this.root, 'wyvern', 'refinery', 'rig');
  }

  get queueDir(): string {
    return path.join(this.root, '.gt', 'merge-queue', 'wyvern');
  }

  get currentFile(): string {
    return path.join(this.queueDir, '_current.json');
  }

  /** The merge queue's work key lock, held by whoever merges (never the town's write lock). */
  get lockFile(): string {
    return path.join(this.root, '.gt', 'reconciling', 'refinery.Rig.wyvern.lock');
  }

  async writeManifest(opts: ManifestOptions): Promise<void> {
    await writeFile(
      path.join(this.dir, 'town.yaml'),
      `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: mq
spec:
  root: ./town
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ./remote.git
  suspend: true
  workers:
    max: 1
  mergeQueue:
    strategy: ${opts.strategy ?? 'merge'}
    testCommand: ${JSON.stringify(opts.testCommand ?? ['node', 'test.js'])}
${opts.testTimeout ? `    testTimeout: ${opts.testTimeout}\n` : ''}${opts.rigExtra ?? ''}${opts.extraManifests ? `---\n${opts.extraManifests}` : ''}`,
    );
  }

  /** Every commit pushed to the remote's main, with the exit code of the tests run on it. */
  async pushes(): Promise<{ sha: string; testExit: number }[]> {
    const text = await readFile(path.join(this.bare, 'pushes.log'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha, code] = l.split(' ');
        return { sha: sha!, testExit: Number(code) };
      });
  }

  /** Runs the compiled gt with `--town`; reports a death by signal (failpoints) instead of a code. */
  gt(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [GT_BIN, ...args, '--town', this.root], {
        cwd: this.dir,
        env: { ...process.env, GT_TOWN: '', GT_FAILPOINT: '', GT_AGENT: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid ?? -1 }));
    });
  }

  /** `skewMs`: the clock gt's plans see is that far ahead (GT_CLOCK_SKEW_MS): time passes without a sleep. */
  async once(skewMs = 0): Promise<string> {
    const r = await this.gt(['run', '--once', '--lock-timeout', '2s'], skewMs ? { GT_CLOCK_SKEW_MS: String(skewMs) } : {});
    if (r.code !== 0) throw new Error(`run --once failed (${r.code ?? r.signal}): ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  async createIssue(title: string, priority = 2): Promise<string> {
    const r = await this.gt(['issues', 'create', title, '-p', String(priority), '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return idOf(r.stdout);
  }

  /** The issue as `gt issues show ID -o json` prints it (a gt process: use sparingly). */
  async issueViaCli(id: string): Promise<Issue> {
    const r = await this.gt(['issues', 'show', id, '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Issue;
  }

  /** The issue read straight from the rig's issues.jsonl (no process spawned). */
  async issue(id: string): Promise<Issue> {
    const i = await this.tracker().get(id);
    if (!i) throw new Error(`no issue ${id}`);
    return i;
  }

  /** `gt mail inbox ADDRESS -o json` (a gt process: use sparingly). */
  async mailViaCli(address: string): Promise<Mail[]> {
    const r = await this.gt(['mail', 'inbox', address, '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Mail[];
  }

  /** The inbox read in this process. */
  async mail(address: string): Promise<Mail[]> {
    return await new Mailbox(inboxPath(this.root, address)).list();
  }

  tracker(): JsonlTracker {
    return new JsonlTracker(path.join(this.root, 'wyvern', '.beads'), { prefix: 'wyvern' });
  }

  /** Commits `files` on top of the remote `from` (a branch of the remote, default main) or a sha, pushes as `branch`; returns the head. */
  async commitAndPush(branch: string, files: Record<string, string>, opts: { from?: string; message?: string } = {}): Promise<string> {
    git(['fetch', '-q', '--prune', 'origin'], this.work);
    const from = opts.from ?? 'origin/main';
    git(['checkout', '-q', '-f', '-B', branch, from], this.work);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(this.work, name)), { recursive: true });
      await writeFile(path.join(this.work, name), content);
    }
    git(['add', '-A'], this.work);
    git(['commit', '-q', '-m', opts.message ?? `change ${Object.keys(files).join(', ')} on ${branch}`], this.work);
    git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], this.work);
    return git(['rev-parse', 'HEAD'], this.work).trim();
  }

  /**
   * What the worker pool does for a polecat whose work was verified: the issue claimed by
   * `wyvern/polecats/<polecat>`, its branch `polecat/<polecat>/<issue>` pushed, and the request
   * `.gt/merge-queue/wyvern/<issue>.json` written.
   */
  async prepare(issueId: string, polecat: string, files: Record<string, string>, opts: { readyAt?: string; from?: string } = {}): Promise<Prepared> {
    await this.tracker().claim(issueId, `wyvern/polecats/${polecat}`);
    const branch = `polecat/${polecat}/${issueId}`;
    const head = await this.commitAndPush(branch, files, opts.from ? { from: opts.from } : {});
    await this.writeRequest({ issueId, branch, head, polecat, readyAt: opts.readyAt ?? new Date().toISOString() });
    return { issueId, polecat, branch, head };
  }

  async writeRequest(r: MergeRequestFile): Promise<void> {
    await mkdir(this.queueDir, { recursive: true });
    await writeFile(path.join(this.queueDir, `${r.issueId}.json`), JSON.stringify(r, null, 2) + '\n');
  }

  async request(issueId: string): Promise<MergeRequestFile | undefined> {
    const p = path.join(this.queueDir, `${issueId}.json`);
    return (await exists(p)) ? (JSON.parse(await readFile(p, 'utf8')) as MergeRequestFile) : undefined;
  }

  async current(): Promise<{ issueId: string; phase: string; mergeCommit?: string; targetBefore: string } | undefined> {
    return (await exists(this.currentFile)) ? parseJson(await readFile(this.currentFile, 'utf8')) : undefined;
  }

  /** A git command in the bare remote. */
  remote(args: string[]): string {
    return git(args, this.bare).trim();
  }

  remoteMain(): string {
    return this.remote(['rev-parse', 'refs/heads/main']);
  }

  remoteBranches(): string[] {
    return this.remote(['for-each-ref', '--format=%(refname:short)', 'refs/heads']).split('\n').filter(Boolean).sort();
  }

  isAncestor(a: string, b: string): boolean {
    try {
      execFileSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: this.bare, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  /** `sha parent…` for every commit on the remote main, newest first. */
  mainCommits(): { sha: string; parents: string[]; subject: string }[] {
    return this.remote(['log', '--format=%H %P%x09%s', 'main'])
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [ids, subject] = l.split('\t');
        const [sha, ...parents] = ids!.split(' ').filter(Boolean);
        return { sha: sha!, parents, subject: subject ?? '' };
      });
  }

  showOnMain(file: string): string {
    return this.remote(['show', `main:${file}`]);
  }

  /** Checks out the remote main in a fresh scratch clone and runs the rig's test command there. */
  mainPassesTests(): boolean {
    const main = this.remoteMain();
    if (this.greenMains.has(main)) return true;
    const scratch = path.join(this.dir, `check-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    git(['clone', '-q', '-b', 'main', this.bare, scratch], this.dir);
    try {
      execFileSync(process.execPath, ['test.js'], { cwd: scratch, stdio: 'ignore' });
      this.greenMains.add(main);
      return true;
    } catch {
      return false;
    } finally {
      execFileSync('rm', ['-rf', scratch]);
    }
  }

  /** The refinery clone's state: porcelain status, branch, HEAD, origin/main, and git operations left in progress. */
  refineryState(): { porcelain: string; branch: string; head: string; originMain: string; remoteMain: string; inProgress: string[] } {
    const g = (args: string[]) => git(args, this.refineryClone).trim();
    const gitDir = path.join(this.refineryClone, '.git');
    const inProgress = ['MERGE_HEAD', 'rebase-merge', 'rebase-apply', 'CHERRY_PICK_HEAD', 'SQUASH_MSG'].filter((f) => {
      try {
        execFileSync('test', ['-e', path.join(gitDir, f)]);
        return true;
      } catch {
        return false;
      }
    });
    return {
      porcelain: g(['status', '--porcelain', '--ignored=no']),
      branch: g(['rev-parse', '--abbrev-ref', 'HEAD']),
      head: g(['rev-parse', 'HEAD']),
      originMain: g(['rev-parse', 'origin/main']),
      remoteMain: this.remoteMain(),
      inProgress,
    };
  }

  async dispose(): Promise<void> {
    await killTmuxServer(this.socket);
    // A session just ended may still have been writing in its directory.
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/**
 * A merge test command for timing cases: it writes its pid to `<dir>/test.pid`, then, while
 * `<dir>/slow` exists, runs for 20 s and writes `<dir>/test.done` at its end; it always passes.
 */
export function slowTestCommand(dir: string, ms = 20_000): string[] {
  const script = `const fs=require('fs'),d=${JSON.stringify(dir)};console.log('slow tests running');fs.writeFileSync(d+'/test.pid',String(process.pid));if(fs.existsSync(d+'/slow'))setTimeout(()=>fs.writeFileSync(d+'/test.done',''),${ms})`;
  return [process.execPath, '-e', script];
}

/** Whether a process is alive (signal 0 reaches it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `gt run` on the town in the background, its output gathered; `stop` sends SIGTERM (twice with `hard`) and waits for the exit. */
export function startLoop(root: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [GT_BIN, 'run', '--town', root], { env: { ...process.env, GT_TOWN: '', GT_FAILPOINT: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const loop = {
    child,
    output: '',
    exited: new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    async stop(hard = false): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (hard) {
          await new Promise((r) => setTimeout(r, 300));
          child.kill('SIGTERM');
        }
      }
      return loop.exited;
    },
  };
  child.stdout.on('data', (d: Buffer) => (loop.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (loop.output += d.toString()));
  return loop;
}
