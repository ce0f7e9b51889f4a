import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { GtFailure, type LockHolder } from '../errors.js';
import { acquireLock, isStale, readLockHolder, type HeldLock } from './lock.js';

/** What a reconcile is doing right now: for `gt status`, and for the loop's goodbye on a signal. */
export interface Activity {
  text: string;
  since: string;
  /** The longest this step can take (its own timeout), when it has one. */
  limitMs?: number;
}

/** Who holds a work key's lock, and what it is doing with it. */
export interface KeyHolder extends LockHolder {
  workKey: string;
  doing?: Activity;
}

export interface KeyLease {
  holder: KeyHolder;
  /** Says what the reconcile does now (rewrites the lock file; its readers see it at once). */
  doing(text: string, limitMs?: number): Promise<void>;
  release(): Promise<void>;
}

/** How a reconcile waits for a work key another process is reconciling. */
export interface KeyWait {
  /** What this process is, shown to others (`gt run`, `gt apply`). */
  command: string;
  /** How long to wait for a one-shot holder; the loop's keys are never waited for. */
  waitMs: number;
}

/** The command name of the loop: a key it holds is left to it, never waited for. */
export const LOOP_COMMAND = 'gt run';

/**
 * One lock file per work key (`.gt/reconciling/<controller>.<Kind>.<name>.lock`), held for the
 * whole reconcile of that key, clone or test run included: two processes never reconcile the
 * same key at once, while the town write lock guards only short writes. Same stale-holder
 * takeover as every gt lock (a dead pid on this host).
 */
export class KeyLocks {
  /** Leases this process holds now, by work key. */
  private readonly mine = new Map<string, { lease: KeyLease; holder: KeyHolder }>();

  constructor(readonly dir: string) {}

  file(workKey: string): string {
    return path.join(this.dir, `${workKey.replace(/[:/]/g, '.')}.lock`);
  }

  /** The lease, or the live holder that kept it from us (after waiting, when the holder is not the loop). */
  async take(workKey: string, wait: KeyWait): Promise<KeyLease | KeyHolder> {
    const file = this.file(workKey);
    const end = Date.now() + wait.waitMs;
    for (;;) {
      let held: HeldLock;
      try {
        held = await acquireLock(file, { command: wait.command, timeoutMs: 0, extra: { workKey } });
      } catch (err) {
        if (!(err instanceof GtFailure) || err.error.kind !== 'lockBusy') throw err;
        const holder = (err.error.holder as KeyHolder | undefined) ?? { pid: 0, host: '?', command: 'another gt', startedAt: new Date().toISOString(), workKey };
        if (holder.command === LOOP_COMMAND || Date.now() >= end) return holder;
        await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, end - Date.now()))));
        continue;
      }
      return this.leaseOf(workKey, held);
    }
  }

  private leaseOf(workKey: string, held: HeldLock): KeyLease {
    const holder: KeyHolder = { ...held.holder, workKey };
    // One rewrite at a time, in order: the file always ends up saying the latest step.
    let writes = Promise.resolve();
    const lease: KeyLease = {
      holder,
      doing: (text, limitMs) => {
        const doing: Activity = { text, since: new Date().toISOString(), ...(limitMs !== undefined ? { limitMs } : {}) };
        holder.doing = doing;
        // A failed rewrite only leaves an older step on show: never a reason to fail the reconcile.
        writes = writes.then(() => held.update({ workKey, doing })).catch(() => undefined);
        return writes;
      },
      release: async () => {
        this.mine.delete(workKey);
        await writes;
        await held.release();
      },
    };
    this.mine.set(workKey, { lease, holder });
    return lease;
  }

  /** What this process is reconciling now. */
  heldHere(): KeyHolder[] {
    return [...this.mine.values()].map((m) => m.holder);
  }

  /** The live process other than this one that is reconciling `workKey` now, if any. */
  async heldElsewhere(workKey: string): Promise<KeyHolder | undefined> {
    const h = (await readLockHolder(this.file(workKey))) as KeyHolder | undefined;
    return h && !isStale(h) && !(h.pid === process.pid && h.host === hostname()) ? { ...h, workKey } : undefined;
  }

  /** Every work key some live process is reconciling now, by work key. */
  async live(): Promise<Map<string, KeyHolder>> {
    const out = new Map<string, KeyHolder>();
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return out;
    }
    for (const n of names.filter((x) => x.endsWith('.lock'))) {
      const h = (await readLockHolder(path.join(this.dir, n))) as KeyHolder | undefined;
      if (h && typeof h.workKey === 'string' && !isStale(h)) out.set(h.workKey, h);
    }
    return out;
  }
}

export function isLease(x: KeyLease | KeyHolder): x is KeyLease {
  return 'release' in x;
}

/** "clone wyvern/polecats/nux (pid 4242, gt run, since 12:00:03Z)": one line for people. */
export function describeHolder(h: KeyHolder): string {
  const what = h.doing?.text ?? 'observing';
  const since = h.doing?.since ?? h.startedAt;
  return `${what} (pid ${h.pid}, ${h.command}, since ${since})`;
}
