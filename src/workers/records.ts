import { mkdir, rm } from 'node:fs/promises';
import { acquireLock } from '../store/lock.js';
import { listDir } from '../util/fs-read.js';
import path from 'node:path';
import { readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import { CachedJsonReader } from '../util/cached-json.js';
import type { CloneFailures } from './clone-failures.js';
import type { AgentConditionCode } from '../agents/screens.js';

/**
 * What gt remembers about one polecat that reality cannot tell it: which issue it was given,
 * when its session started, its nudges and crashes. Written before the first side effect of a
 * spawn (the intent), so a crash half-way through is finished by the next pass.
 */
export interface WorkerRecord {
  name: string;
  rig: string;
  issueId: string;
  branch: string;
  /** The target branch's commit the clone started from: "at least one commit" is counted from it. */
  baseSha?: string;
  state: 'starting' | 'working' | 'stalled' | 'crashLooping';
  createdAt: string;
  /** Every session start, oldest first (the first is the spawn, the rest restarts). */
  starts: string[];
  nudges: number;
  lastNudgeAt?: string;
  escalatedAt?: string;
  /** Ended by `gt stop --now`: restarted on `gt start` at once, and not counted as a crash. */
  haltedAt?: string;
  /** The onWorkerStuck plugin asked about the current stuck spell (cleared by the next nudge). */
  stuckAsk?: { plugin: string; messageId: string; at: string };
  /** Done signals that failed verification, for the record and the worker's mail. */
  rejectedDone: number;
  /** What the agent's screen showed that keeps it from working (escalated once), under which agent; when it was last tried again. */
  agentCondition?: { code: AgentConditionCode; at: string; agent: string; retriedAt?: string };
  /** Left crash-looping under this Rig generation and effective agent: a change of either re-arms it. */
  crashLoop?: { generation: number; agent: string };
  /** Being released: its clone was judged safe to delete and may be gone. The release is finished, never undone by a restart. */
  releasingAt?: string;
}

/** How an agent said it finished (`gt done`), read from its signal file. */
export interface DoneSignal {
  status: 'completed' | 'deferred' | 'escalated';
  message?: string;
  at: string;
}

/** Rig-wide dispatch state: the spawn delay clock and the circuit breaker. */
export interface PoolState {
  lastSpawnAt?: string;
  /** Consecutive spawns whose session died within seconds. */
  spawnFailures: number;
  breaker?: { reason: string; openedAt: string; generation: number; agent?: string };
  /** gt reset-breaker: crash-looping workers escalated before this are re-armed (their issue released). */
  rearmedAt?: string;
  /** Spawns in a row whose clone failed: dispatch backs off (nextCloneAttemptAt). */
  cloneFailures?: CloneFailures;
}

/** .gt/workers/<rig>/<name>.json, .gt/workers/<rig>/<name>.done.json and .gt/workers/<rig>/_pool.json */
export class WorkerStore {
  private readonly reader = new CachedJsonReader();

  constructor(readonly dir: string) {}

  rigDir(rig: string): string {
    return path.join(this.dir, rig);
  }

  async list(rig: string): Promise<WorkerRecord[]> {
    return this.recordsIn(rig, await listDir(this.rigDir(rig)));
  }

  /** The records and the done signals, from one listing of the rig's directory: the worker pool reads both on every pass. */
  async listWithSignals(rig: string): Promise<{ records: WorkerRecord[]; signals: Record<string, DoneSignal> }> {
    const entries = await listDir(this.rigDir(rig));
    const [records, signals] = await Promise.all([this.recordsIn(rig, entries), this.signalsIn(rig, entries)]);
    return { records, signals };
  }

  private async recordsIn(rig: string, entries: string[]): Promise<WorkerRecord[]> {
    const names = entries.filter((n) => n.endsWith('.json') && !n.endsWith('.done.json') && !n.startsWith('_') && !n.startsWith('.'));
    const records = await Promise.all(
      names.sort().map(async (n) => {
        const file = path.join(this.rigDir(rig), n);
        try {
          return await this.reader.read<WorkerRecord>(file);
        } catch (err) {
          if (!(err instanceof SyntaxError)) throw err;
          const name = n.slice(0, -'.json'.length);
          // The polecat's clone is on its branch, polecat/<name>/<issue>: what the record said.
          const head = await readTextIfExists(path.join(path.dirname(path.dirname(this.dir)), rig, 'polecats', name, '.git', 'HEAD'));
          return recoverCutShort(file, rig, name, await readTextIfExists(file), head);
        }
      }),
    );
    return records.filter((r): r is WorkerRecord => r !== undefined);
  }

  async put(r: WorkerRecord): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(r.rig), `${r.name}.json`), toJsonText(r));
  }

  async remove(rig: string, name: string): Promise<void> {
    await rm(path.join(this.rigDir(rig), `${name}.json`), { force: true });
    await this.clearDone(rig, name);
  }

  private async signalsIn(rig: string, entries: string[]): Promise<Record<string, DoneSignal>> {
    const names = entries.filter((n) => n.endsWith('.done.json'));
    const out: Record<string, DoneSignal> = {};
    for (const n of names) {
      const t = await readTextIfExists(path.join(this.rigDir(rig), n));
      if (t) out[n.slice(0, -'.done.json'.length)] = JSON.parse(t) as DoneSignal;
    }
    return out;
  }

  async signalDone(rig: string, name: string, s: DoneSignal): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(rig), `${name}.done.json`), toJsonText(s));
  }

  async clearDone(rig: string, name: string): Promise<void> {
    await rm(path.join(this.rigDir(rig), `${name}.done.json`), { force: true });
  }

  async pool(rig: string): Promise<PoolState> {
    const t = await readTextIfExists(path.join(this.rigDir(rig), '_pool.json'));
    return t ? (JSON.parse(t) as PoolState) : { spawnFailures: 0 };
  }

  async putPool(rig: string, p: PoolState): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(rig), '_pool.json'), toJsonText(p));
  }

  /**
   * Read-modify-write of the pool state under its own short lock: the worker pool and
   * `gt reset-breaker` both change it, from different processes, and neither may undo the other.
   */
  async updatePool(rig: string, change: (p: PoolState) => PoolState): Promise<PoolState> {
    return this.locked(path.join(this.rigDir(rig), '_pool.json'), async () => {
      const next = change(await this.pool(rig));
      await this.putPool(rig, next);
      return next;
    });
  }

  /** Read-modify-write of one worker's record under its own short lock (the pool and `gt stop --now` both write it); undefined when it has none. */
  async update(rig: string, name: string, change: (r: WorkerRecord) => WorkerRecord): Promise<WorkerRecord | undefined> {
    const file = path.join(this.rigDir(rig), `${name}.json`);
    return this.locked(file, async () => {
      const text = await readTextIfExists(file);
      if (text === undefined) return undefined;
      const next = change(JSON.parse(text) as WorkerRecord);
      await this.put(next);
      return next;
    });
  }

  private async locked<T>(file: string, fn: () => Promise<T>): Promise<T> {
    await mkdir(path.dirname(file), { recursive: true });
    const held = await acquireLock(`${file}.lock`, { command: 'gt workers', timeoutMs: 10_000, pollMs: 10 });
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }
}

/**
 * A worker record cut short (a disk that filled, a file system that lost its tail): its polecat
 * still runs and holds work, so the record is rebuilt from what its first lines still say (the
 * issue and branch come first), or else from the branch its clone is on, rather than forgotten,
 * which would make the polecat an orphan.
 * Its counts (starts, nudges) begin again; the next write puts a whole record back.
 */
function recoverCutShort(file: string, rig: string, name: string, text: string | undefined, cloneHead: string | undefined): WorkerRecord | undefined {
  if (text === undefined) return undefined;
  const field = (key: string) => new RegExp(`"${key}":\\s*"([^"]+)"`).exec(text)?.[1];
  const onBranch = new RegExp(`^ref: refs/heads/(polecat/${name}/(\\S+))$`).exec(cloneHead?.trim() ?? '');
  const issueId = field('issueId') ?? onBranch?.[2];
  const branch = field('branch') ?? onBranch?.[1];
  // No clone yet: the spawn had not got that far, so there is no work to keep track of.
  if ((!issueId || !branch) && cloneHead === undefined) return undefined;
  if (!issueId || !branch)
    throw new Error(`${file} is cut short and names no issue and branch, nor is its clone on a polecat branch: remove it once its polecat's work is safe (gt doctor shows the session)`);
  const baseSha = field('baseSha');
  const state = field('state');
  const escalated = state === 'stalled' || state === 'crashLooping';
  return {
    name,
    rig,
    issueId,
    branch,
    ...(baseSha && /^[0-9a-f]{40}$/.test(baseSha) ? { baseSha } : {}),
    state: escalated || state === 'starting' ? state : 'working',
    // An escalation whose time was cut off: any gt reset-breaker since may re-arm it.
    ...(escalated ? { escalatedAt: field('escalatedAt') ?? new Date(0).toISOString() } : {}),
    createdAt: field('createdAt') ?? new Date(0).toISOString(),
    starts: [],
    nudges: 0,
    rejectedDone: 0,
  };
}
