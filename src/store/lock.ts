import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, rm, stat, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail, isLockHolder, type LockHolder } from '../errors.js';
import { isErrno, toJsonText, writeFileAtomic } from '../util/atomic.js';

export interface LockOptions {
  /** What the holder is doing, shown to whoever waits (e.g. "gt apply"). */
  command: string;
  /** How long to wait for a live holder before giving up. */
  timeoutMs: number;
  pollMs?: number;
  /** More for whoever reads the lock file (a reconcile's work key), kept with the holder. */
  extra?: Record<string, unknown>;
}

export interface HeldLock {
  holder: LockHolder;
  release(): Promise<void>;
  /** Rewrites the lock file with more facts for its readers (what the holder does now); the holder stays the same. */
  update(extra: Record<string, unknown>): Promise<void>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

export async function readLockHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return isLockHolder(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A holder that can no longer release: its pid is gone on this host. A lock from another host is never judged stale. */
export function isStale(h: LockHolder | undefined): boolean {
  return h !== undefined && h.host === os.hostname() && !pidAlive(h.pid);
}

/**
 * Takes the lock file with O_EXCL. A stale lock is taken over under a second, short-lived
 * "break" lock, so that two processes that both saw the stale holder cannot both win.
 */
export async function acquireLock(file: string, opts: LockOptions): Promise<HeldLock> {
  await mkdir(path.dirname(file), { recursive: true });
  const holder: LockHolder = { ...opts.extra, pid: process.pid, host: os.hostname(), command: opts.command, startedAt: new Date().toISOString() };
  const started = Date.now();
  const poll = opts.pollMs ?? 50;
  for (;;) {
    if (await tryCreate(file, holder)) return held(file, holder);
    const current = await readLockHolder(file);
    if (current === undefined && (await ageMs(file)) > 2000) {
      // Unreadable for 2s: a holder died between create and write. Treat like a stale holder,
      // checking again under the break lock (someone may have broken and re-taken it meanwhile).
      if (await breakStale(file, async (h) => h === undefined && (await ageMs(file)) > 2000)) continue;
    } else if (isStale(current)) {
      if (await breakStale(file, (h) => Promise.resolve(h !== undefined && h.pid === current!.pid && h.startedAt === current!.startedAt))) continue;
    }
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) fail({ kind: 'lockBusy', lockFile: file, holder: current, waitedMs: waited });
    await new Promise((r) => setTimeout(r, Math.min(poll, Math.max(1, opts.timeoutMs - waited))));
  }
}

async function tryCreate(file: string, holder: LockHolder): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx', 0o644);
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw err;
  }
  try {
    await fh.writeFile(JSON.stringify(holder) + '\n');
    await fh.sync();
  } catch (err) {
    // A holder the disk would not take (ENOSPC): the empty file is ours, and others would wait on it.
    await fh.close();
    await rm(file, { force: true });
    throw err;
  }
  await fh.close();
  return true;
}

async function breakStale(file: string, stillSame: (h: LockHolder | undefined) => Promise<boolean>): Promise<boolean> {
  const breaker = `${file}.break`;
  const me: LockHolder = { pid: process.pid, host: os.hostname(), command: 'break stale lock', startedAt: new Date().toISOString() };
  if (!(await tryCreate(breaker, me))) {
    if (isStale(await readLockHolder(breaker)) || (await ageMs(breaker)) > 10_000) await rm(breaker, { force: true });
    return false;
  }
  try {
    // Re-read under the break lock: someone may have broken and re-taken it already.
    if (!(await stillSame(await readLockHolder(file)))) return false;
    await rm(file, { force: true });
    return true;
  } finally {
    await rm(breaker, { force: true });
  }
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** Every lock this process holds now, by file: what an interrupted gt gives back before it exits. */
const holding = new Map<string, LockHolder>();

/**
 * Removes every lock file this process holds, synchronously (it runs in a signal handler right
 * before exit), each only if the file still names this holder. Returns the files released.
 */
export function releaseHeldLocksSync(): string[] {
  const out: string[] = [];
  for (const [file, holder] of holding) {
    try {
      const current: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (isLockHolder(current) && current.pid === holder.pid && current.startedAt === holder.startedAt) {
        unlinkSync(file);
        out.push(file);
      }
    } catch {
      // Gone or unreadable: nothing of ours to remove.
    }
  }
  holding.clear();
  return out;
}

function held(file: string, holder: LockHolder): HeldLock {
  let released = false;
  holding.set(file, holder);
  return {
    holder,
    async release() {
      if (released) return;
      released = true;
      const current = await readLockHolder(file);
      if (current && current.pid === holder.pid && current.startedAt === holder.startedAt) await rm(file, { force: true });
      if (holding.get(file) === holder) holding.delete(file);
    },
    async update(extra) {
      if (released) return;
      // Atomic (a rename): a reader never sees half a holder, and the file never disappears.
      await writeFileAtomic(file, toJsonText({ ...extra, ...holder }));
    },
  };
}
