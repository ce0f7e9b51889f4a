import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { GtEvent } from '../store/events.js';
import type { TownSession } from '../town/session.js';
import { townStatus, type StatusView } from '../cli/views/status.js';
import { objectsView } from '../cli/views/objects.js';
import type { Condition } from '../engine/status.js';
import { EventTail } from './event-tail.js';
import { attemptStore, type MergeAttempts } from '../refinery/attempts.js';

/** The status view and the stored conditions of each object, read together. */
export interface LiveState {
  view: StatusView;
  /** `Kind/name` → the object's conditions (Ready, Reconciling, Stalled), as `gt get` shows them. */
  conditions: Record<string, Condition[]>;
  /** Per rig: merge rejections with their reason and output tail (test or git), the oldest issue first. */
  rejections: Record<string, MergeAttempts[]>;
  /** Increases with every refresh whose result differs from the last one. */
  version: number;
  at: number;
}

/** File changes closer together than this make one refresh. */
const DEBOUNCE_MS = 60;
/** Pane output changes no file: it is looked at again this often. */
const PANE_REFRESH_MS = 2000;

/**
 * The town as the dashboard shows it, kept fresh: a change to gt's state files, a rig's issues or
 * a mailbox refreshes it within a second (one refresh at a time; changes during one make one
 * more), and new lines of the events log are passed on as they are appended.
 */
export class LiveTown {
  private state: LiveState | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly tail: EventTail;
  private readonly stateListeners = new Set<(s: LiveState) => void>();
  private readonly eventListeners = new Set<(e: GtEvent[]) => void>();
  private lastJson = '';

  constructor(readonly session: TownSession) {
    this.tail = new EventTail(session.paths.events);
  }

  /** Listeners added before start() are given the whole log first (the metrics count its history). */
  async start(): Promise<void> {
    const root = this.session.root;
    this.watcher = watch(root, {
      ignoreInitial: true,
      // Clones are the agents' working trees: only the files gt reads at their top (state, done signals).
      ignored: (p) => /(^|\/)\.git(\/|$)|\.lock$|\.tmp-/.test(p) || isInsideClone(path.relative(root, p)),
    });
    this.watcher.on('all', () => this.poke());
    this.timer = setInterval(() => this.poke(), PANE_REFRESH_MS);
    await this.refresh();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.debounce) clearTimeout(this.debounce);
    await this.watcher?.close();
    await this.running;
  }

  onState(fn: (s: LiveState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  onEvents(fn: (e: GtEvent[]) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /** The latest state; read now when none is there yet. */
  async current(): Promise<LiveState> {
    if (!this.state) await this.refresh();
    return this.state!;
  }

  private poke(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.refresh(), DEBOUNCE_MS);
  }

  /** One refresh at a time; a request during one makes exactly one more after it. */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.readOnce().catch((err: unknown) => process.stderr.write(`gt dashboard: reading the town failed: ${err instanceof Error ? err.message : String(err)}\n`));
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  private async readOnce(): Promise<void> {
    const events = await this.tail.read();
    if (events.length) for (const fn of this.eventListeners) fn(events);
    const { view } = await townStatus(this.session);
    const { objects, statuses } = await objectsView(this.session, undefined, undefined);
    const conditions: Record<string, Condition[]> = {};
    objects.forEach((o, i) => (conditions[`${o.manifest.kind}/${o.manifest.metadata.name}`] = statuses[i]?.conditions ?? []));
    const attempts = attemptStore(this.session.root);
    const rejections = Object.fromEntries(await Promise.all(view.rigs.map(async (r) => [r.rig, await attempts.list(r.rig)] as const)));
    const json = JSON.stringify({ view, conditions, rejections });
    if (json === this.lastJson && this.state) return;
    this.lastJson = json;
    this.state = { view, conditions, rejections, version: (this.state?.version ?? 0) + 1, at: Date.now() };
    for (const fn of this.stateListeners) fn(this.state);
  }
}

/** `rig/polecats/name/sub/...`, `rig/refinery/rig/...` and `rig/mayor/rig/...`: inside a working tree. */
function isInsideClone(rel: string): boolean {
  const parts = rel.split(path.sep);
  if (parts[1] === 'polecats' && parts.length > 4) return true;
  return (parts[1] === 'refinery' || parts[1] === 'mayor' || parts[1] === 'witness') && parts[2] === 'rig';
}
