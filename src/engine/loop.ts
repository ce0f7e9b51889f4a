import { watch, type FSWatcher } from 'chokidar';
import { acquireLock } from '../store/lock.js';
import { LOOP_COMMAND, type KeyHolder } from '../store/key-lock.js';
import type { TownSession } from '../town/session.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { parseKey, type ObjectKey } from '../model/objects.js';
import { unappliedTown } from '../manifest/validate.js';
import { DesiredStateCache } from './desired-cache.js';
import { worldFrom, type KeyOutcome, type WorkKey } from './reconciler.js';
import { conditionOf } from './status.js';
import { watchAgentHomes } from './watch-homes.js';
import { objectsWokenBy } from './wake-map.js';
import { WorkQueue, type WorkResult } from './workqueue.js';
import { GtFailure, fail } from '../errors.js';

export interface LoopOptions {
  log: (line: string) => void;
  /** Each reconcile's outcome and how long it took (observe, plan, act and the second look). */
  onOutcome: (outcome: KeyOutcome, durationMs: number) => void;
  /** The work queue after each change of it (metrics). */
  onQueue?: (snapshot: { depth: number; processing: number }) => void;
  /** Resolves when the loop should stop; by default SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
  concurrency?: number;
}

/** Coalesces the burst of events one atomic write makes (temp file, rename) into one wake-up. */
const DEBOUNCE_MS = 25;
/** A key another process is reconciling (a one-shot command) is looked at again this soon. */
const BUSY_RETRY_MS = 1000;

/** What woke the loop since the last look: the desired state, everything, or some objects. */
interface Wakes {
  spec: boolean;
  everything: boolean;
  objects: Set<ObjectKey>;
}

/**
 * `gt run`: one loop per town (the run lock), reconciling continuously. It reads the desired state
 * once per change, and reconciles what a change concerns when it happens: store writes, the files
 * agents and bd write (issues, worker records, merge requests, inboxes, agent state), and the death
 * of a tmux pane or session (tmux hooks). Stopping leaves every agent session running.
 */
export async function runLoop(session: TownSession, opts: LoopOptions): Promise<number> {
  const runLock = await whenThereIsSpace(opts.log, async () => {
    await session.init();
    return acquireLock(session.paths.runLock, { command: LOOP_COMMAND, timeoutMs: 0 }).catch((err: unknown) => {
      if (err instanceof GtFailure && err.error.kind === 'lockBusy')
        fail({ ...err.error, why: 'a gt run loop is already running for this town (one per town; stop it first, or leave the work to it)' });
      throw err;
    });
  });
  const cache = new DesiredStateCache(async () => worldFrom(await session.store.list()));
  session.reconciler.readWorldFrom(cache);
  const offStore = session.store.onChange(() => cache.invalidate());
  const stopping = new AbortController();
  let homes: ReturnType<typeof watchAgentHomes> | undefined;
  const sessionEvents = new SessionEvents(session, cache, stopping.signal, () => wake({ everything: true }));

  const queue = new WorkQueue(
    async (key): Promise<WorkResult> => {
      if (await stalledAtThisGeneration(session, key as WorkKey)) return { kind: 'done' };
      // Only the key's own lock is held, whatever the reconcile runs: the town's write lock stays
      // free for gt apply, gt stop and the rest.
      let delayMs: number | undefined;
      // The backoff is chosen here so that status can say when the next attempt comes.
      const retry = () => {
        const attempts = queue.failureCount(key) + 1;
        delayMs = queue.retryDelay(attempts);
        return { attempts, at: new Date(Date.now() + delayMs) };
      };
      const started = Date.now();
      const outcome = await session.reconciler.reconcileKey(key as WorkKey, { command: LOOP_COMMAND, waitMs: 0 }, retry);
      if (!outcome) return { kind: 'done' };
      if (outcome.busy) {
        queue.addAfter(key, BUSY_RETRY_MS);
        return { kind: 'done' };
      }
      opts.onOutcome(outcome, Date.now() - started);
      opts.onQueue?.(queue.snapshot());
      if (outcome.done.length) {
        // Something was made or ended: new clones and agent homes to watch, maybe a tmux server.
        homes?.refreshSoon();
        sessionEvents.serverMayExist();
      }
      if (outcome.after?.requeueAfterMs !== undefined) queue.addAfter(key, outcome.after.requeueAfterMs);
      if (outcome.failed)
        return outcome.failed.terminal ? { kind: 'terminal', error: outcome.failed.error } : { kind: 'retry', error: outcome.failed.error, ...(delayMs !== undefined ? { delayMs } : {}) };
      return { kind: 'done' };
    },
    { concurrency: opts.concurrency ?? 4, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 },
  );

  let pending: Wakes = { spec: false, everything: false, objects: new Set() };
  let debounce: NodeJS.Timeout | undefined;
  /** Adds the keys of what woke the loop: a spec change even to keys backing off from a failure. */
  const flush = async () => {
    const w = pending;
    pending = { spec: false, everything: false, objects: new Set() };
    const world = await cache.world();
    for (const t of session.reconciler.targets(world)) {
      if (w.spec) queue.add(t.workKey);
      else if (w.everything || w.objects.has(t.key)) queue.addUnlessBackingOff(t.workKey);
    }
    homes?.follow(world);
    opts.onQueue?.(queue.snapshot());
  };
  const wake = (w: { spec?: boolean; everything?: boolean; objects?: ObjectKey[] }) => {
    pending.spec ||= !!w.spec;
    pending.everything ||= !!w.everything;
    for (const k of w.objects ?? []) pending.objects.add(k);
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => void flush().catch((e: unknown) => opts.log(`! ${String(e)}`)), DEBOUNCE_MS);
  };

  // Locks, temp files of atomic writes, and logs written as programs run (a merge's test output) are no news.
  const scratch = (p: string) => p.endsWith('.lock') || p.endsWith('.break') || p.endsWith('.log') || /\.tmp-/.test(p);
  const store: FSWatcher = watch(session.paths.storeDir, { ignoreInitial: true, ignored: scratch });
  store.on('all', () => {
    cache.invalidate();
    wake({ spec: true });
  });
  homes = watchAgentHomes(session.root, scratch, (file) => {
    void cache
      .world()
      .then((world) => {
        const woken = objectsWokenBy(file, session.root, world);
        wake(woken === 'everything' ? { everything: true } : { objects: woken });
      })
      .catch((e: unknown) => opts.log(`! ${String(e)}`));
  });

  let resyncTimer: NodeJS.Timeout | undefined;
  const scheduleResync = async () => {
    // Everything the loop must notice is announced (a watched file, a tmux hook) or scheduled by a
    // plan (requeueAfterMs); the resync only catches what nothing announces (a clone changed by hand).
    const town = (await cache.world()).town?.manifest ?? unappliedTown(session.root);
    const every = parseDuration(town.spec.resync);
    resyncTimer = setTimeout(
      () => {
        homes?.refreshSoon();
        sessionEvents.serverMayExist();
        wake({ everything: true });
        void scheduleResync().catch((e: unknown) => opts.log(`! ${String(e)}`));
      },
      every * (0.9 + Math.random() * 0.2),
    );
  };

  opts.log(`gt run: reconciling ${session.root} (pid ${process.pid}); Ctrl-C stops the loop, agent sessions keep running`);
  const world = await cache.world();
  homes.follow(world);
  // Waiting for tmux's notices before the first reconcile starts a session: none is missed.
  void sessionEvents.run();
  await flush();
  wake({ spec: true });
  await scheduleResync();
  await (opts.stopSignal ?? signalled());
  opts.log(stoppingLine(session.reconciler.keyLocks.heldHere()));
  stopping.abort();
  if (resyncTimer) clearTimeout(resyncTimer);
  if (debounce) clearTimeout(debounce);
  offStore();
  await Promise.all([store.close(), homes.close()]);
  queue.stop();
  await queue.drain();
  await runLock.release();
  return 0;
}

/**
 * Learns of pane deaths and closed sessions from the town's tmux server (its hooks signal a
 * wait-for channel) instead of listing sessions every few seconds. With no server there is
 * nothing to wait on until gt starts one (a reconcile that did something) or the resync.
 */
class SessionEvents {
  private serverWanted: (() => void) | undefined;
  /** Counts serverMayExist calls: one that comes while a wait is being set up is not lost. */
  private hints = 0;
  /** The last wait reached a server. */
  private armed = false;
  /** gt may have started a server since the last wait began. */
  private hinted = false;

  constructor(
    private readonly session: TownSession,
    private readonly cache: DesiredStateCache,
    private readonly stop: AbortSignal,
    private readonly onEvent: () => void,
  ) {
    // One listener for the whole loop (not one per wait): stopping ends a wait for a server too.
    stop.addEventListener('abort', () => this.serverWanted?.(), { once: true });
  }

  serverMayExist(): void {
    this.hints++;
    this.hinted = true;
    this.serverWanted?.();
  }

  async run(): Promise<void> {
    while (!this.stop.aborted) {
      const town = (await this.cache.world().catch(() => undefined))?.town?.manifest;
      const armedAt = Date.now();
      const hintsBefore = this.hints;
      const r = await this.session.services
        .runtime(town)
        .waitForSessionEvent(this.stop)
        .catch(() => 'noServer' as const);
      if (r === 'aborted') return;
      // The server was there at the last wait, or gt started one since, and it is gone now: its
      // sessions went with it (a session killed before the wait was set, say), and a signal
      // tmux kept for the next wait went with the server.
      if (r === 'noServer' && (this.armed || this.hinted)) this.notify();
      this.armed = r !== 'noServer';
      this.hinted = false;
      if (r === 'noServer' && Date.now() - armedAt < 1000) {
        // No server, and none started since we asked: wait until gt may have started one.
        if (this.hints === hintsBefore) {
          await new Promise<void>((resolve) => (this.serverWanted = resolve));
          this.serverWanted = undefined;
        }
        continue;
      }
      this.notify();
    }
  }

  /** Sessions changed: the next look lists them afresh (a listing shared for 200 ms may predate the change). */
  private notify(): void {
    this.session.services.forgetSessions();
    this.onEvent();
  }
}

async function stalledAtThisGeneration(session: TownSession, workKey: WorkKey): Promise<boolean> {
  const controller = workKey.slice(0, workKey.indexOf(':'));
  const { kind, name } = parseKey(workKey.slice(workKey.indexOf(':') + 1));
  const obj = (await session.reconciler.loadWorld()).objects.find((o) => o.manifest.kind === kind && o.manifest.metadata.name === name);
  const status = await session.reconciler.status.getController(kind, name, controller);
  const stalled = conditionOf(status, 'Stalled');
  // A terminal error waits for a new spec (a new generation); retrying the same spec cannot help.
  return !!obj && stalled?.status === 'True' && stalled.reason === 'TerminalError' && status?.observedGeneration === obj.generation;
}

const SPACE_RETRY_MS = 2000;

/**
 * Starting on a full disk, the loop waits for space (saying so once) instead of exiting: every
 * reconcile after it retries on its own, so a town left to a daemon comes back by itself.
 * Ctrl-C still ends it at once (cli/interrupt.ts).
 */
async function whenThereIsSpace<T>(log: (line: string) => void, start: () => Promise<T>): Promise<T> {
  let said = false;
  for (;;) {
    try {
      return await start();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code !== 'ENOSPC' && code !== 'EDQUOT') throw err;
      if (!said) log(`gt run: cannot start: ${(err as Error).message}; waiting for space on the town's disk (trying every ${SPACE_RETRY_MS / 1000}s)`);
      said = true;
      await new Promise((r) => setTimeout(r, SPACE_RETRY_MS));
    }
  }
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
