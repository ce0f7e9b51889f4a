import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JsonlTracker } from '../src/beads/jsonl.js';
import { WorkerStore, type WorkerRecord } from '../src/workers/records.js';
import { makeBareRepo } from './fixture.js';
import { epochMs, Loop } from './loop.js';

/**
 * A throw-away town for the loop benchmarks: a bare repository as every rig's remote, rigs whose
 * agent is by default the scripted demo agent (`gt demo-agent --mode stuck`: prints one line,
 * then stays alive and silent), and the real `gt run` loop as a child process. Everything it
 * starts (the loop, the town's private tmux server and so every agent) is stopped by `dispose`,
 * which is also run on SIGINT/SIGTERM/exit of the benchmark, and the temp directory and tmux
 * socket file are removed.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.resolve(here, '../bundle/main.js');
const SPAWN_LOG_MODULE = pathToFileURL(path.join(here, 'spawn-log.js')).href;
const DEMO_AGENT = ['gt', 'demo-agent', '--mode', 'stuck'];

export interface RigOptions {
  name: string;
  max: number;
  /** The polecats' agent command; default the demo agent in stuck mode. */
  agent?: string[];
  /** spec.suspend: no polecat starts, the merge queue still merges. */
  suspend?: boolean;
  /** spec.mergeQueue: strategy merge and this test command. */
  testCommand?: string[];
}

export interface LoopTownOptions {
  /** Town name (also names the tmux socket). */
  name: string;
  rigs: RigOptions[];
  /** Town spec.resync; undefined keeps the default. */
  resync?: string;
  stuckAfter?: string;
}

export interface Pane {
  session: string;
  dead: boolean;
  issue: string;
}

export interface GtResult {
  code: number;
  stdout: string;
  stderr: string;
}

const live = new Set<LoopTown>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanAll = () => {
    for (const t of live) t.disposeSync();
  };
  process.on('exit', cleanAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      cleanAll();
      process.exit(130);
    });
  }
}

export class LoopTown {
  socket = '';

  /** A town's socket is a path (`tmux -S`); one named in the Town's spec is a name (`tmux -L`). */
  private server(): string[] {
    return this.socket.startsWith('/') ? ['-S', this.socket] : ['-L', this.socket];
  }
  loop: Loop | undefined;
  private readonly trackers = new Map<string, JsonlTracker>();
  readonly workers: WorkerStore;

  /** The bare repository every rig clones (file path). */
  remote = '';
  private readonly stoppers = new Set<() => void>();

  private constructor(
    readonly dir: string,
    readonly root: string,
    readonly opts: LoopTownOptions,
  ) {
    this.workers = new WorkerStore(path.join(root, '.gt', 'workers'));
  }

  /** Creates the town with `gt apply` (the clones, the layout and .gt/bin/gt); no loop yet. */
  static create(opts: LoopTownOptions): LoopTown {
    hookExit();
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), `gt-bench-${opts.name}-`)));
    const t = new LoopTown(dir, path.join(dir, 'town'), opts);
    live.add(t);
    try {
      const repo = makeBareRepo(dir);
      t.remote = repo;
      const file = path.join(dir, 'town.yaml');
      writeFileSync(file, t.manifest(repo));
      const apply = t.gtSync(['apply', '-f', file]);
      if (apply.code !== 0) throw new Error(`gt apply -f ${file} exited ${apply.code}:\n${apply.stdout}${apply.stderr}`);
      const status = t.gtSync(['status', '-o', 'json', '--town', t.root]);
      if (status.code !== 0) throw new Error(`gt status exited ${status.code}:\n${status.stdout}${status.stderr}`);
      t.socket = (JSON.parse(status.stdout) as { socket: string }).socket;
    } catch (err) {
      t.disposeSync();
      throw err;
    }
    return t;
  }

  private manifest(repo: string): string {
    const town = ['apiVersion: gastown.dev/v1alpha1', 'kind: Town', 'metadata:', `  name: ${this.opts.name}`, 'spec:', `  root: ${JSON.stringify(this.root)}`];
    if (this.opts.resync) town.push(`  resync: ${this.opts.resync}`);
    const docs = [town.join('\n')];
    for (const r of this.opts.rigs) {
      docs.push(
        [
          'apiVersion: gastown.dev/v1alpha1',
          'kind: Rig',
          'metadata:',
          `  name: ${r.name}`,
          'spec:',
          `  gitUrl: ${JSON.stringify(repo)}`,
          '  defaultBranch: main',
          ...(r.suspend ? ['  suspend: true'] : []),
          '  agent:',
          `    command: ${JSON.stringify(r.agent ?? DEMO_AGENT)}`,
          '  workers:',
          `    max: ${r.max}`,
          '    spawnDelay: 0s',
          ...(this.opts.stuckAfter ? [`    stuckAfter: ${this.opts.stuckAfter}`] : []),
          ...(r.testCommand ? ['  mergeQueue:', '    strategy: merge', `    testCommand: ${JSON.stringify(r.testCommand)}`] : []),
        ].join('\n'),
      );
    }
    return docs.join('\n---\n') + '\n';
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, GT_TOWN: '', GT_RIG: '' };
  }

  gtSync(args: string[]): GtResult {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: this.dir, env: this.env(), encoding: 'utf8' });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** `gt ARGS --town ROOT` as a person runs it; resolves at the process's exit, with that moment (epochMs). */
  gt(args: string[]): Promise<GtResult & { exitMs: number }> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, [CLI, ...args, '--town', this.root], { cwd: this.dir, env: this.env(), encoding: 'utf8' }, (err, stdout, stderr) => {
        const exitMs = epochMs();
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        if (err && typeof err.code !== 'number') reject(new Error(`gt ${args.join(' ')}: ${err.message}`, { cause: err }));
        else resolve({ code, stdout, stderr, exitMs });
      });
    });
  }

  /** The rig's embedded beads tracker, in this process (the same class and file the loop reads). */
  tracker(rig: string): JsonlTracker {
    let t = this.trackers.get(rig);
    if (!t) {
      t = new JsonlTracker(path.join(this.root, rig, '.beads'), { prefix: rig, actor: 'bench' });
      this.trackers.set(rig, t);
    }
    return t;
  }

  records(rig: string): Promise<WorkerRecord[]> {
    return this.workers.list(rig);
  }

  /**
   * Starts `node gt run --town ROOT`; with `spawnLog`, preloads bench/spawn-log.js so that
   * `loop.spawnLog()` can tell which processes the loop started, when, and for how long.
   */
  startLoop(opts: { spawnLog?: boolean; nodeArgs?: string[] } = {}): Loop {
    const logFile = opts.spawnLog ? path.join(this.dir, 'spawn-log.json') : undefined;
    const nodeArgs = [...(logFile ? ['--import', SPAWN_LOG_MODULE] : []), ...(opts.nodeArgs ?? [])];
    const env = { ...this.env(), ...(logFile ? { GT_BENCH_SPAWN_LOG: logFile } : {}) };
    const child = spawn(process.execPath, [...nodeArgs, CLI, 'run', '--town', this.root], { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.loop = new Loop(child, logFile);
    return this.loop;
  }

  /** Every pane on the town's tmux server: session, dead or not, and gt's @gt_issue (percent-decoded). */
  panes(): Promise<Pane[]> {
    return new Promise((resolve) => {
      execFile('tmux', [...this.server(), 'list-panes', '-a', '-F', '#{session_name} #{pane_dead} #{@gt_issue}'], { encoding: 'utf8' }, (err, stdout) => {
        if (err) return resolve([]); // no server yet
        resolve(
          stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => {
              const [session = '', dead = '', issue = ''] = line.split(' ');
              return { session, dead: dead === '1', issue: decodeURIComponent(issue) };
            }),
        );
      });
    });
  }

  /** pid of the town's tmux server, or undefined when none runs. */
  tmuxServerPid(): number | undefined {
    try {
      const pid = Number(execFileSync('tmux', [...this.server(), 'display-message', '-p', '#{pid}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Runs `stop` first when the town is disposed (also on an error, SIGINT or SIGTERM): for
   * other processes a benchmark starts in the town's directory, which must end before it is
   * removed. Returns the function that unregisters it.
   */
  onDispose(stop: () => void): () => void {
    this.stoppers.add(stop);
    return () => this.stoppers.delete(stop);
  }

  /** Leaves the town (its directory and tmux server) in place at exit, for looking at it by hand. */
  keep(): void {
    live.delete(this);
  }

  async dispose(): Promise<void> {
    await this.loop?.stop().catch(() => undefined);
    this.disposeSync();
  }

  /** Kills the loop (if still running), the tmux server (every agent with it), and removes the socket file and the temp dir. */
  disposeSync(): void {
    if (!live.has(this)) return;
    live.delete(this);
    for (const stop of this.stoppers) stop();
    let killed = false;
    if (this.loop && !this.loop.exit) {
      try {
        killed = this.loop.child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.socket) {
      const killServer = () => {
        try {
          execFileSync('tmux', [...this.server(), 'kill-server'], { stdio: 'ignore' });
        } catch {
          // no server left: nothing to kill
        }
      };
      killServer();
      if (killed) {
        // A tmux client the killed loop had started (a new-session) may still start a server: once more.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
        killServer();
      }
      // tmux leaves its socket file behind after kill-server.
      rmSync(this.socket.startsWith('/') ? this.socket : path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
