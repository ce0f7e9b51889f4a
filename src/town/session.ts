import { mkdir } from 'node:fs/promises';
import { CONTROLLERS } from '../../controllers/registry.js';
import { Reconciler } from '../engine/reconciler.js';
import { EventLog } from '../store/events.js';
import { acquireLock, isStale, readLockHolder, type HeldLock } from '../store/lock.js';
import { Store } from '../store/store.js';
import type { LockHolder } from '../errors.js';
import { townPaths, type TownPaths } from './layout.js';
import { TownServices } from './services.js';

/** Everything a command needs to work on one town. */
export class TownSession {
  readonly paths: TownPaths;
  readonly store: Store;
  readonly events: EventLog;
  readonly reconciler: Reconciler;
  readonly services: TownServices;

  constructor(readonly root: string) {
    this.paths = townPaths(root);
    this.store = new Store(this.paths.storeDir, this.paths.lock);
    this.events = new EventLog(this.paths.events);
    this.services = new TownServices(root);
    this.reconciler = new Reconciler({ root, paths: this.paths, store: this.store, services: this.services }, this.events, CONTROLLERS);
  }

  async init(): Promise<void> {
    await mkdir(this.paths.gtDir, { recursive: true });
    await mkdir(this.services.workers.dir, { recursive: true });
    await this.store.init();
  }

  /**
   * The town write lock: held only for short read-modify-writes of the desired state (apply,
   * delete, stop/start, a finalizer's removal) and of gt's own files; never across a reconcile.
   */
  lock(command: string, timeoutMs: number): Promise<HeldLock> {
    return acquireLock(this.paths.lock, { command, timeoutMs });
  }

  /** The `gt run` loop holding this town, if one is alive. */
  async runningLoop(): Promise<LockHolder | undefined> {
    const h = await readLockHolder(this.paths.runLock);
    return h && !isStale(h) ? h : undefined;
  }
}
