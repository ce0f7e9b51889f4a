import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { useSpawner } from '../adapters/process.js';
import { acquireLock, type HeldLock } from '../store/lock.js';
import type { TownSession } from '../town/session.js';
import { parseDuration } from '../util/duration.js';
import { parseKey } from '../model/objects.js';
import type { KeyOutcome, WorkKey } from './reconciler.js';
import { conditionOf } from './status.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

export interface LoopOptions {
  lockTimeoutMs: number;
  log: (line: string) => void;
  onOutcome: (outcome: KeyOutcome) => void;
  /** Resolves when the loop should stop; by default SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
  concurrency?: number;
}

const DEFAULT_RESYNC_MS = 5000;
/** Coalesces the burst of events one atomic write makes (temp file, rename) into one wake-up. */
const DEBOUNCE_MS = 25;

/**
 * `gt run`: one loop per town (the run lock), reconciling continuously. Store changes wake it
 * at once; a jittered resync catches drift that no watched file announces. Stopping leaves every
 * agent session running: only this process ends.
 */
export async function runLoop(session: TownSession, opts: LoopOptions): Promise<number> {
  await session.init();
  const runLock = await acquireLock(session.paths.runLock, { command: 'gt run', timeoutMs: 0 });
  // The loop starts git and tmux all the time: through the spawner each costs gt a small part
  // of forking this process (src/adapters/spawner.ts). Until it is ready, and if it cannot
  // start, programs are started directly.
  void useSpawner();
  const writeLock = sharedLock(() => session.lock('gt run', opts.lockTimeoutMs));
  const queue = new WorkQueue(
    async (key): Promise<WorkResult> => {
      if (await stalledAtThisGeneration(session, key as WorkKey)) return { kind: 'done' };
      const { outcome, delayMs } = await writeLock.with(async () => {
        const o = await session.reconciler.reconcileKey(key as WorkKey);
        if (!o?.failed || o.failed.terminal) return { outcome: o, delayMs: undefined };
        // The backoff is chosen here so that status can say when the next attempt comes.
        const attempts = queue.failureCount(key) + 1;
        const ms = queue.retryDelay(attempts);
        await session.reconciler.noteRetry(key as WorkKey, attempts, new Date(Date.now() + ms));
        return { outcome: o, delayMs: ms };
      });
      if (!outcome) return { kind: 'done' };
      opts.onOutcome(outcome);
      if (outcome.after?.requeueAfterMs !== undefined) queue.addAfter(key, outcome.after.requeueAfterMs);
      if (outcome.failed) return outcome.failed.terminal ? { kind: 'terminal', error: outcome.failed.error } : { kind: 'retry', error: outcome.failed.error, ...(delayMs !== undefined ? { delayMs } : {}) };
      return { kind: 'done' };
    },
    { concurrency: opts.concurrency ?? 4, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 },
  );

  const watched = new Set<string>();
  const watcher: FSWatcher = watch([session.paths.storeDir, path.join(session.paths.gtDir, 'workers')], { ignoreInitial: true, awaitWriteFinish: false, ignored: (p) => p.endsWith('.lock') || /\.tmp-/.test(p) });
  /** `specChanged`: the store changed, so even keys backing off from a failure are tried at once. */
  const enqueueAll = async (specChanged: boolean) => {
    const world = await session.reconciler.loadWorld();
    for (const t of session.reconciler.targets(world)) {
      if (specChanged) queue.add(t.workKey);
      else queue.addUnlessBackingOff(t.workKey);
    }
    // Each rig's issue database: a new ready issue must not wait for the resync.
    for (const o of world.objects) {
      const beads = path.join(session.root, o.manifest.metadata.name, '.beads');
      if (o.manifest.kind === 'Rig' && !watched.has(beads)) {
        watched.add(beads);
        watcher.add(beads);
      }
    }
  };
  let debounce: NodeJS.Timeout | undefined;
  let storeChanged = false;
  const poke = (_event: string, file: string) => {
    if (file.startsWith(session.paths.storeDir)) storeChanged = true;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => {
      const spec = storeChanged;
      storeChanged = false;
      void enqueueAll(spec).catch((e: unknown) => opts.log(`! ${String(e)}`));
    }, DEBOUNCE_MS);
  };
  watcher.on('all', poke);

  let resyncTimer: NodeJS.Timeout | undefined;
  const scheduleResync = async () => {
    const town = (await session.reconciler.loadWorld()).town;
    const every = town?.manifest.spec.resync ? parseDuration(town.manifest.spec.resync) : DEFAULT_RESYNC_MS;
    resyncTimer = setTimeout(() => {
      void enqueueAll(false)
        .then(scheduleResync)
        .catch((e: unknown) => opts.log(`! ${String(e)}`));
    }, every * (0.9 + Math.random() * 0.2));
  };

  opts.log(`gt run: reconciling ${session.root} (pid ${process.pid}); Ctrl-C stops the loop, agent sessions keep running`);
  await enqueueAll(true);
  await scheduleResync();
  await (opts.stopSignal ?? signalled());
  opts.log('gt run: stopping');
  if (resyncTimer) clearTimeout(resyncTimer);
  if (debounce) clearTimeout(debounce);
  await watcher.close();
  queue.stop();
  await queue.drain();
  await writeLock.close();
  await runLock.release();
  return 0;
}

async function stalledAtThisGeneration(session: TownSession, workKey: WorkKey): Promise<boolean> {
  const controller = workKey.slice(0, workKey.indexOf(':'));
  const { kind, name } = parseKey(workKey.slice(workKey.indexOf(':') + 1));
  // The store listing is cached on its directory's mtime; a get would read and parse the file.
  const obj = (await session.store.list(kind)).find((o) => o.manifest.metadata.name === name);
  const status = await session.reconciler.status.getController(kind, name, controller);
  const stalled = conditionOf(status, 'Stalled');
  // A terminal error waits for a new spec (a new generation); retrying the same spec cannot help.
  return !!obj && stalled?.status === 'True' && stalled.reason === 'TerminalError' && status?.observedGeneration === obj.generation;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** The town write lock, taken while any key is being reconciled and given back when the loop is idle. */
function sharedLock(take: () => Promise<HeldLock>) {
  let held: Promise<HeldLock> | undefined;
  let users = 0;
  return {
    async with<T>(fn: () => Promise<T>): Promise<T> {
      users++;
      held ??= take();
      try {
        await held;
        return await fn();
      } finally {
        users--;
        if (users === 0 && held) {
          const h = held;
          held = undefined;
          await h.then((l) => l.release(), () => undefined);
        }
      }
    },
    async close() {
      if (held) await held.then((l) => l.release(), () => undefined);
    },
  };
}
