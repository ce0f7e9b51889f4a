import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { JsonlTracker } from '../src/beads/jsonl.js';
import { WorkerStore, type WorkerRecord } from '../src/workers/records.js';
import { procCpuMs, spawnerOf } from './cpu.js';
import { makeBareRepo } from './fixture.js';
import type { SpawnEntry } from './spawn-log.js';
import { nowMs } from './stats.js';

export { procCpuMs };

/**
 * A throw-away town for the loop benchmarks: a bare repository as every rig's remote, rigs whose
 * agent is the scripted demo agent (`gt demo-agent --mode stuck`: prints one line, then stays
 * alive and silent), and the real `gt run` loop as a child process. Everything it starts (the
 * loop, the town's private tmux server and so every agent) is stopped by `dispose`, which is also
 * run on SIGINT/SIGTERM/exit of the benchmark, and the temp directory and tmux socket file are removed.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = path.resolve(here, '../bundle/main.js');
const SPAWN_LOG_MODULE = pathToFileURL(path.join(here, 'spawn-log.js')).href;
const TICK_MS = 10; // USER_HZ is 100 on every Linux Node supports.

export interface RigOptions {
  name: string;
  max: number;
}

export interface LoopTownOptions {
  /** Town name (also names the tmux socket). */
  name: string;
  rigs: RigOptions[];
  /** Town spec.resync; undefined keeps the default (5s). */
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

/** Wall clock in epoch ms with sub-ms resolution, on the same scale as bench/spawn-log.ts in the loop's process. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A note on stderr, so stdout holds only the report. */
export function note(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every `everyMs` until it returns a value; throws after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** VmRSS and VmHWM (peak RSS) of a process from /proc/PID/status, in MB (10^6 bytes). */
export function procMemMb(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: (kb('VmRSS') * 1024) / 1e6, hwm: (kb('VmHWM') * 1024) / 1e6 };
  } catch {
    return undefined;
  }
}

export interface LoopCpu {
  gtMs: number;
  /** pid of gt run's spawner, if it runs one. */
  spawner: number | undefined;
  spawnerMs: number;
  childrenMs: number;
}

/** The `gt run` child process with its output lines, timestamped on arrival. */
export class Loop {
  readonly lines: { atMs: number; text: string }[] = [];
  lastOutputMs = nowMs();
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private partial = '';

  constructor(
    readonly child: ChildProcess,
    private readonly spawnLogFile: string | undefined,
  ) {
    const take = (d: Buffer) => {
      const at = nowMs();
      this.lastOutputMs = at;
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop()!;
      for (const text of parts) this.lines.push({ atMs: at, text });
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Throws when the loop has exited (a benchmark of a dead loop would measure nothing). */
  check(): void {
    if (this.exit) throw new Error(`gt run exited (${this.exit.code ?? this.exit.signal}):\n${this.lines.map((l) => l.text).join('\n')}`);
  }

  /** Every process the loop has spawned so far (needs startLoop({ spawnLog: true })). */
  async spawnLog(): Promise<SpawnEntry[]> {
    const file = this.spawnLogFile;
    if (!file) throw new Error('the loop was started without the spawn log');
    this.check();
    rmSync(file, { force: true });
    this.child.kill('SIGUSR2');
    return until(
      () => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as SpawnEntry[];
        } catch {
          return undefined; // not written yet, or half written
        }
      },
      'the spawn log of gt run',
      10_000,
      5,
    );
  }

  /** SIGTERM (the loop stops its watcher and drains its queue), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * The loop's CPU so far, in ms: gt run's own process, its spawner (part of gt: it starts the
   * programs on gt's behalf; see src/adapters/spawner.ts), and the programs that either waited
   * for (git, tmux clients). A spawner that ended is in gt run's children figure (it was reaped).
   */
  cpu(): LoopCpu | undefined {
    const gt = procCpuMs(this.pid);
    if (!gt) return undefined;
    const spawner = spawnerOf(this.pid);
    const s = spawner === undefined ? undefined : procCpuMs(spawner);
    return { gtMs: gt.selfMs, spawner: s ? spawner : undefined, spawnerMs: s?.selfMs ?? 0, childrenMs: gt.childrenMs + (s?.childrenMs ?? 0) };
  }

  /**
   * Resolves once the loop has been quiet for `quietMs`: no output line and at most one clock
   * tick of CPU (its own, its spawner's and the programs') in that time.
   */
  async waitQuiet(quietMs: number, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const total = (c: LoopCpu | undefined) => (c ? c.gtMs + c.spawnerMs + c.childrenMs : NaN);
    for (;;) {
      this.check();
      const c0 = this.cpu();
      const out0 = this.lastOutputMs;
      await sleep(quietMs);
      const c1 = this.cpu();
      const cpu = c0?.spawner === c1?.spawner ? total(c1) - total(c0) : NaN;
      // NaN (no figures, or a spawner that changed meanwhile) is not quiet.
      if (this.lastOutputMs === out0 && nowMs() - this.lastOutputMs >= quietMs && cpu <= TICK_MS) return;
      if (Date.now() > end) throw new Error(`gt run was not quiet for ${quietMs} ms within ${timeoutMs} ms (last ${cpu} ms CPU per ${quietMs} ms)`);
    }
  }
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
    const agent = JSON.stringify(['gt', 'demo-agent', '--mode', 'stuck']);
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
          '  agent:',
          `    command: ${agent}`,
          '  workers:',
          `    max: ${r.max}`,
          '    spawnDelay: 0s',
          ...(this.opts.stuckAfter ? [`    stuckAfter: ${this.opts.stuckAfter}`] : []),
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

  async dispose(): Promise<void> {
    await this.loop?.stop().catch(() => undefined);
    this.disposeSync();
  }

  /** Kills the loop (if still running), the tmux server (every agent with it), and removes the socket file and the temp dir. */
  disposeSync(): void {
    if (!live.has(this)) return;
    live.delete(this);
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
    rmSync(this.dir, { recursive: true, force: true });
  }
}
