import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOY_FILES } from '../support/merge.js';
import { bareRepo, GT_BIN, killTmuxServer } from '../support/town.js';
import { installPushHook } from '../support/push-hook.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const AGENT = path.join(HERE, 'agent.mjs');

/** An agent command that starts and does nothing (the mayor; the spare rig, which gets no issues). */
const IDLE = JSON.stringify([process.execPath, '-e', 'setInterval(() => {}, 1 << 30)']);

export interface GtRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The chaos town: a bare remote with the toy project, one rig, the chaos agent, `gt run` as a child. */
export class ChaosTown {
  socket = '';
  loop: ChildProcess | undefined;
  loopOutput = '';
  /** Every manifest applied, by object name, to put a truncated store object back as a person would. */
  readonly manifests = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly root: string,
    readonly bare: string,
    readonly ledger: string,
    /** A tmpfs the town lives on (disk-full faults), or undefined when not root. */
    readonly tmpfs: boolean,
    /** Says a person's step (a breaker reset) in the report's notes. */
    private readonly note: (line: string) => void,
  ) {}

  static async create(seed: number, agentFaultChance: number, log: (s: string) => void): Promise<ChaosTown> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gt-chaos-'));
    let tmpfs = false;
    if (process.getuid?.() === 0) {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192m', 'tmpfs', dir], { stdio: 'ignore' });
        tmpfs = true;
      } catch (err) {
        log(`disk-full faults skipped: mounting a tmpfs failed (${(err as Error).message.split('\n')[0]})`);
      }
    } else log('disk-full faults skipped: not root, so no tmpfs can be mounted for the town');
    const bare = await bareRepo(dir, TOY_FILES);
    await installPushHook(bare);
    // The ledger is the suite's own record of every commit: off the tmpfs, so a full disk cannot tear it.
    const ledgerDir = await mkdtemp(path.join(os.tmpdir(), 'gt-chaos-ledger-'));
    const t = new ChaosTown(dir, path.join(dir, 'town'), bare, path.join(ledgerDir, 'ledger.jsonl'), tmpfs, log);
    await mkdir(path.dirname(t.ledger), { recursive: true });
    await writeFile(t.ledger, '');
    t.manifests.set('base', t.baseManifest(seed, agentFaultChance, 3));
    const a = await t.apply(t.manifests.get('base')!);
    if (a.code !== 0) throw new Error(`apply failed: ${a.stdout}\n${a.stderr}`);
    t.socket = (JSON.parse((await t.gt(['status', '-o', 'json'])).stdout) as { socket: string }).socket;
    return t;
  }

  baseManifest(seed: number, agentFaultChance: number, workers: number): string {
    const agent = JSON.stringify([process.execPath, AGENT, '--ledger', this.ledger, '--seed', String(seed), '--faults', String(agentFaultChance)]);
    return `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: chaos
spec:
  root: ${this.root}
  # A long-running session (gt-mayor) that does nothing: session-cycle restarts it after every kill.
  mayor:
    enabled: true
    agent:
      command: ${IDLE}
    restartBackoff: 0s
    maxRestarts: 100000
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ${this.bare}
  agent:
    command: ${agent}
  workers:
    max: ${workers}
    spawnDelay: 0s
  mergeQueue:
    strategy: merge
    testCommand: ["node", "test.js"]
    maxAttempts: 2
---
apiVersion: gastown.dev/v1alpha1
kind: Swarm
metadata:
  name: s0
spec:
  rig: wyvern
  title: the first swarm
  tasks:
    - id: base
      title: lay the base
      description: "append shared.txt: base laid"
    - id: on-base
      title: build on the base
      description: "append built.txt: built"
      dependsOn: [base]
    - id: left
      title: one side of a conflict
      description: "append conflict.txt: left side"
    - id: right
      title: the other side of the conflict
      description: "append conflict.txt: right side"
    - id: red
      title: a change that breaks the tests
      description: "append status.txt: red"
    - id: last
      title: after everything
      dependsOn: [on-base, left, right]
`;
  }

  /** The second rig (failpoints of the rig controller): cloned from the same remote, no workers. */
  spareRigManifest(): string {
    return `apiVersion: gastown.dev/v1alpha1\nkind: Rig\nmetadata:\n  name: roc\nspec:\n  gitUrl: ${this.bare}\n  agent:\n    command: ${IDLE}\n  workers:\n    max: 1\n`;
  }

  /**
   * The circuit breaker stops dispatch after spawns die in a row (a killed tmux server kills every
   * session at once): it waits on a person by design. The suite is that person: it resets it, and
   * says so in the report.
   */
  async resetBreakerIfOpen(): Promise<void> {
    const dir = path.join(this.root, '.gt', 'workers', 'wyvern');
    const pool = await readFile(path.join(dir, '_pool.json'), 'utf8').catch(() => '{}');
    let breaker: { reason?: string } | undefined;
    try {
      breaker = (JSON.parse(pool) as { breaker?: { reason?: string } }).breaker;
    } catch {
      return;
    }
    // The same command re-arms polecats escalated as crash-looping (sessions killed again and again).
    const looping: string[] = [];
    for (const n of await readdir(dir).catch(() => [] as string[]))
      if (n.endsWith('.json') && !n.startsWith('_') && /"state":\s*"crashLooping"/.test(await readFile(path.join(dir, n), 'utf8').catch(() => ''))) looping.push(n.slice(0, -'.json'.length));
    if (!breaker && !looping.length) return;
    const r = await this.gt(['reset-breaker', 'wyvern']);
    this.note(
      `person step: gt reset-breaker wyvern (${[breaker ? (breaker.reason ?? 'open') : '', looping.length ? `crash-looping: ${looping.join(', ')}` : ''].filter(Boolean).join('; ')}) -> exit ${r.code}`,
    );
  }

  /** A small Swarm of its own (concurrent applies). */
  swarmManifest(name: string, tasks: number): string {
    const list = Array.from({ length: tasks }, (_, i) => `    - id: t${i}\n      title: ${name} task ${i}\n${i ? `      dependsOn: [t${i - 1}]\n` : ''}`).join('');
    return `apiVersion: gastown.dev/v1alpha1\nkind: Swarm\nmetadata:\n  name: ${name}\nspec:\n  rig: wyvern\n  title: ${name}\n  tasks:\n${list}`;
  }

  gt(args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Promise<GtRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [GT_BIN, ...args, '--town', this.root], {
        cwd: this.dir,
        env: { ...process.env, GT_TOWN: '', GT_FAILPOINT: '', GT_AGENT: '', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      child.stdin.end(input);
    });
  }

  apply(yaml: string): Promise<GtRun> {
    return this.gt(['apply', '-f', '-', '--no-reconcile'], {}, yaml);
  }

  /** Starts `gt run` (with a failpoint armed, if given); resolves once it is running. */
  startLoop(failpoint?: string): ChildProcess {
    const child = spawn(process.execPath, [GT_BIN, 'run', '--town', this.root], {
      cwd: this.dir,
      env: { ...process.env, GT_TOWN: '', GT_AGENT: '', GT_FAILPOINT: failpoint ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A failpoint lane still running when the suite is interrupted must not leave a loop behind.
    if (this.disposed) child.kill('SIGKILL');
    const keep = (d: Buffer) => {
      this.loopOutput = (this.loopOutput + d.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // Ended neither by stopLoop (which lets go of it first) nor by a failpoint's SIGKILL: it exited by itself.
    child.once('exit', (code, signal) => {
      if (this.loop === child && signal !== 'SIGKILL') this.loopExits.push({ code, signal, output: this.loopOutput.slice(-1500) });
    });
    this.loop = child;
    return child;
  }

  /** The loop's own exits (not asked for), with what it printed last. */
  readonly loopExits: { code: number | null; signal: NodeJS.Signals | null; output: string }[] = [];

  /** Starts the loop again if it is not running (as a supervisor such as systemd would); true if it did. */
  superviseLoop(): boolean {
    if (this.loop && this.loop.exitCode === null && this.loop.signalCode === null) return false;
    this.startLoop();
    return true;
  }

  /** Waits until `child` holds the town's run lock (commands then leave the work to it), or has exited; at most 10 s. */
  async untilLoopHolds(child: ChildProcess): Promise<void> {
    const end = Date.now() + 10_000;
    while (Date.now() < end && child.exitCode === null && child.signalCode === null) {
      const holder = await readFile(path.join(this.root, '.gt', 'run.lock'), 'utf8').catch(() => '');
      if (new RegExp(`"pid":\\s*${child.pid}\\b`).test(holder)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends the loop: SIGTERM, then SIGKILL after `graceMs`. */
  async stopLoop(graceMs = 30_000): Promise<void> {
    const child = this.loop;
    this.loop = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const guard = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(guard);
  }

  tmux(args: string[]): string {
    try {
      return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    } catch {
      return '';
    }
  }

  sessions(): string[] {
    return this.tmux(['list-sessions', '-F', '#{session_name}']).split('\n').filter(Boolean);
  }

  private disposed = false;

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stopLoop(5000);
    if (this.socket) await killTmuxServer(this.socket);
    if (this.tmpfs) {
      for (let i = 0; i < 20; i++) {
        try {
          execFileSync('umount', [this.dir], { stdio: 'ignore' });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await rm(path.dirname(this.ledger), { recursive: true, force: true });
  }
}
