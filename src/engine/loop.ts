import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { acquireLock } from '../store/lock.js';
import { LOOP_COMMAND, type KeyHolder } from '../store/key-lock.js';
import type { TownSession } from '../town/session.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { parseKey } from '../model/objects.js';
import type { KeyOutcome, WorkKey } from './reconciler.js';
import { conditionOf } from './status.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

export interface LoopOptions {
  log: (line: string) => void;
  onOutcome: (outcome: KeyOutcome) => void;
  /** Resolves when the loop should stop; by default SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
  concurrency?: number;
}

const DEFAULT_RESYNC_MS = 5000;
/** Coalesces the burst of events one atomic write makes (temp file, rename) into one wake-up. */
const DEBOUNCE_MS = 25;
/** A key another process is reconciling (a one-shot command) is looked at again this soon. */
const BUSY_RETRY_MS = 1000;

/**
 * `gt run`: one loop per town (the run lock), reconciling continuously. Store changes wake it
 * at once; a jittered resync catches drift that no watched file announces. Stopping leaves every
 * agent session running: only this process ends.
 */
export async function runLoop(session: TownSession, opts: LoopOptions): Promise<number> {
  await session.init();
  const runLock = await acquireLock(session.paths.runLock, { command: LOOP_COMMAND, timeoutMs: 0 });
  const queue = new WorkQueue(
    async (key): Promise<WorkResult> => {
      if (await stalledAtThisGeneration(session, key as WorkKey)) return { kind: 'done' };
      // Only the key's own lock is held, whatever the reconcile runs: the town's write lock stays
      // free for gt apply, gt stop and the rest.
      const outcome = await session.reconciler.reconcileKey(key as WorkKey, { command: LOOP_COMMAND, waitMs: 0 });
      let delayMs: number | undefined;
      if (outcome && !outcome.busy && outcome.failed && !outcome.failed.terminal) {
        // The backoff is chosen here so that status can say when the next attempt comes.
        const attempts = queue.failureCount(key) + 1;
        delayMs = queue.retryDelay(attempts);
        await session.reconciler.noteRetry(key as WorkKey, attempts, new Date(Date.now() + delayMs));
      }
      if (!outcome) return { kind: 'done' };
      if (outcome.busy) {
        queue.addAfter(key, BUSY_RETRY_MS);
        return { kind: 'done' };
      }
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
  opts.log(stoppingLine(session.reconciler.keyLocks.heldHere()));
  if (resyncTimer) clearTimeout(resyncTimer);
  if (debounce) clearTimeout(debounce);
  await watcher.close();
  queue.stop();
  await queue.drain();
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

/**
 * What a stopping loop still waits for, and for how long at most: a merge's tests can run for
 * minutes, and silence would look like a hang. A second signal ends it at once (cli/interrupt.ts).
 */
export function stoppingLine(inHand: KeyHolder[], now = Date.now()): string {
  if (!inHand.length) return 'gt run: stopping';
  const parts = inHand.map((h) => {
    const since = Date.parse(h.doing?.since ?? h.startedAt);
    const left = h.doing?.limitMs !== undefined ? `at most ${formatDuration(h.doing.limitMs - (now - since))} more` : 'no time limit known';
    return `${h.workKey}: ${h.doing?.text ?? 'observing'} (for ${formatDuration(now - since)}, ${left})`;
  });
  return `gt run: stopping after the work in hand: ${parts.join('; ')}. A second Ctrl-C or SIGTERM ends it at once; the next gt run finishes or undoes what it leaves.`;
}
