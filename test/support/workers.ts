import { execFileSync } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { idOf, parseJson, statusJson } from './json.js';
import { bareRepo, gt, killTmuxServer, tempDir, tmuxServer } from './town.js';

export async function until<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A worker record under `.gt/workers/wyvern/`. */
interface WorkerRecordJson {
  name: string;
  issueId: string;
  state: string;
  nudges: number;
  starts: string[];
  releasingAt?: string;
}

/** A town with one rig `wyvern` whose agent is the scripted demo agent; its tmux server is killed by `dispose`. */
export class TestTown {
  socket = '';
  private constructor(
    readonly dir: string,
    readonly root: string,
    readonly bare: string,
  ) {}

  /** `headBranch`: the remote's default branch (its HEAD) is renamed from main to this. `repoFiles`: the project's first commit (a README by default). */
  static async create(opts: { agentArgs?: string[]; workers?: string; rigExtra?: string; townExtra?: string; headBranch?: string; repoFiles?: Record<string, string> } = {}): Promise<TestTown> {
    const dir = await tempDir('gt-workers-');
    const root = path.join(dir, 'town');
    const bare = await bareRepo(dir, opts.repoFiles);
    if (opts.headBranch) execFileSync('git', ['branch', '-m', 'main', opts.headBranch], { cwd: bare });
    const t = new TestTown(dir, root, bare);
    await t.writeManifest(opts);
    const a = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
    if (a.code !== 0) throw new Error(`apply failed: ${a.stdout}\n${a.stderr}`);
    t.socket = statusJson((await gt(['status', '-o', 'json', '--town', root])).stdout).socket;
    return t;
  }

  async writeManifest(opts: { agentArgs?: string[]; workers?: string; rigExtra?: string; townExtra?: string }): Promise<void> {
    const agent = JSON.stringify(['gt', 'demo-agent', '--delay', '100', ...(opts.agentArgs ?? [])]);
    await writeFile(
      path.join(this.dir, 'town.yaml'),
      `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: t
spec:
  root: ./town
${opts.townExtra ?? ''}---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ./remote.git
  agent:
    command: ${agent}
  workers:
${opts.workers ?? '    max: 2\n    spawnDelay: 0s\n'}${opts.rigExtra ?? ''}`,
    );
  }

  /** `skewMs`: the clock gt's plans see is that far ahead (GT_CLOCK_SKEW_MS): time passes without a sleep. */
  gt(args: string[], skewMs = 0) {
    return gt([...args, '--town', this.root], { cwd: this.dir, ...(skewMs ? { env: { GT_CLOCK_SKEW_MS: String(skewMs) } } : {}) });
  }

  async createIssue(title: string, ...extra: string[]): Promise<string> {
    const r = await this.gt(['issues', 'create', title, '-o', 'json', ...extra]);
    if (r.code !== 0) throw new Error(r.stderr);
    return idOf(r.stdout);
  }

  async issue(id: string): Promise<{ status: string; assignee?: string; comments?: { text: string }[] }> {
    return parseJson((await this.gt(['issues', 'show', id, '-o', 'json'])).stdout);
  }

  async once(skewMs = 0): Promise<string> {
    const r = await this.gt(['run', '--once'], skewMs);
    if (r.code !== 0) throw new Error(`run --once failed (${r.code}): ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** `gt run` in the background, as a user starts it; `stop` sends SIGTERM and gives its exit code. */
  async startLoop(): Promise<{ output: () => string; stop: () => Promise<number | null> }> {
    const { spawn } = await import('node:child_process');
    const { GT_BIN } = await import('./town.js');
    const loop = spawn(process.execPath, [GT_BIN, 'run', '--town', this.root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    loop.stdout.on('data', (d: Buffer) => (out += d.toString()));
    loop.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => loop.on('exit', (code) => r(code)));
    await until(() => out.includes('gt run: reconciling'), 'the loop to start');
    return {
      output: () => out,
      stop: async () => {
        loop.kill('SIGTERM');
        const guard = setTimeout(() => loop.kill('SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(guard);
        return code;
      },
    };
  }

  /** Session names on the town's private socket. */
  sessions(): string[] {
    try {
      return execFileSync('tmux', [...tmuxServer(this.socket), 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter(Boolean)
        .sort();
    } catch {
      return [];
    }
  }

  liveSessions(): string[] {
    try {
      return execFileSync('tmux', [...tmuxServer(this.socket), 'list-panes', '-a', '-F', '#{session_name} #{pane_dead}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter((l) => l.endsWith(' 0'))
        .map((l) => l.split(' ')[0]!)
        .sort();
    } catch {
      return [];
    }
  }

  async records(): Promise<WorkerRecordJson[]> {
    const dir = path.join(this.root, '.gt', 'workers', 'wyvern');
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.endsWith('.done.json') && !n.startsWith('_'));
    return Promise.all(names.map(async (n) => parseJson<WorkerRecordJson>(await readFile(path.join(dir, n), 'utf8'))));
  }

  async mail(address: string): Promise<{ subject: string; body: string; type: string }[]> {
    return parseJson((await this.gt(['mail', 'inbox', address, '-o', 'json'])).stdout);
  }

  remoteBranches(): string[] {
    return execFileSync('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads'], { cwd: this.bare, encoding: 'utf8' }).split('\n').filter(Boolean);
  }

  async dispose(): Promise<void> {
    await killTmuxServer(this.socket);
    // An agent that was just killed may still have been writing its state file, and a program a
    // SIGKILLed gt had started (a failpoint test) may still be finishing: removed again after it.
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await new Promise((r) => setTimeout(r, 300));
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}
