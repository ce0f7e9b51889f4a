import type { Kind, ObjectKey, Town } from '../model/objects.js';
import type { Store, StoredObject } from '../store/store.js';
import type { TownPaths } from '../town/layout.js';
import type { TownServices } from '../town/services.js';
import type { ObservationPass } from './observation-pass.js';

/** Something the controller cannot or must not fix by itself; shown by diff with `!`, kept in status. */
export interface Finding {
  /** Stable code, e.g. `CloneRemoteMismatch`, for scripts and docs. */
  code: string;
  message: string;
}

/** The output of a pure plan function: what to do, and what is waiting on a person. */
export interface Plan<A> {
  actions: A[];
  findings: Finding[];
  /** Facts worth saying that need nothing done (e.g. "3 working, max lowered to 2: no new work until below"). */
  notes?: string[];
  /**
   * Actions decided but waiting for a moment the controller must not force (a session cycled
   * only at its next idle point): shown by diff like actions, acted on once a later plan
   * makes them actions.
   */
  pending?: ActionText[];
  /** Reconcile again after this long even if nothing changes (a spawn delay, a backoff, a stuck timer). */
  requeueAfterMs?: number;
  /** Controller-specific facts kept in status for `gt status`. */
  details?: unknown;
  /**
   * Nothing to do now, yet not done (a Swarm whose tasks are still being worked): Ready is False
   * with this reason and message. Unlike a finding it waits on nobody, so `gt diff` still exits 0.
   */
  notReady?: { reason: string; message: string };
}

export type ActionOp = '+' | '~' | '-';
export interface ActionText {
  op: ActionOp;
  text: string;
}

/** Desired state of the whole town, as read from the store once per pass. */
export interface DesiredWorld {
  town: StoredObject<Town> | undefined;
  objects: StoredObject[];
}

export interface Target<M = unknown> {
  key: ObjectKey;
  object: StoredObject & { manifest: M };
  world: DesiredWorld;
}

export interface ControllerContext {
  root: string;
  paths: TownPaths;
  store: Store;
  services: TownServices;
  /**
   * Where long steps (clones) report how far they got, per subject (a town-relative path):
   * set only when a person watches a terminal, never for a pipe or `-o json`.
   */
  progress?: (subject: string, line: string) => void;
  /**
   * Set while acting on one work key: says what a long step does now and the longest it can
   * take (its own timeout), so `gt status` can show it and a stopping loop can say what it waits for.
   */
  activity?: (text: string, limitMs?: number) => void;
}

/**
 * What observe is given. While every object is planned at once and nothing acts (`gt diff`,
 * status, doctor: Reconciler.planAll), `pass` holds the facts several controllers of that pass
 * read (one rig's refinery clone, its remote HEAD), read once and dropped with the pass. act is
 * given a plain ControllerContext, so what it checks before it changes anything is read afresh,
 * and so is everything `gt run` observes (it plans one key at a time, around its actions).
 */
export interface ObserveContext extends ControllerContext {
  pass?: ObservationPass;
}

/**
 * The one reconciler shape (DESIGN.md §4). `plan` must be pure: gt diff calls observe+plan
 * and prints the actions; gt run calls the same two and then act, so they cannot disagree.
 */
export interface Controller<A extends { type: string }, O, M = unknown> {
  readonly name: string;
  readonly kind: Kind;
  observe(ctx: ObserveContext, target: Target<M>): Promise<O>;
  plan(target: Target<M>, observed: O): Plan<A>;
  /** May return a short outcome worth logging (e.g. "rejected: merge conflict in a.js"). */
  act(ctx: ControllerContext, target: Target<M>, action: A): Promise<string | void>;
  describe(action: A): ActionText;
  /** Actions that destroy something: their intent is logged before they run. */
  irreversible(action: A): boolean;
  /**
   * Actions independent of every other action of the same plan (a clone into its own
   * directory): consecutive ones run at the same time, a few at once.
   */
  concurrent?(action: A): boolean;
  /**
   * A run of consecutive actions that `accepts` carried out at once, where one write can do the
   * work of many (a Swarm of 20,000 tasks is one rewrite of the beads file, not 20,000). Each
   * action is still described, logged and shown by diff on its own.
   */
  batch?: ActionBatcher<A, M>;
}

/** Any controller, its action, observation and manifest types erased: what the engine holds a list of. */
export type AnyController = Controller<{ type: string }, unknown, unknown>;

export interface ActionBatcher<A, M> {
  accepts(action: A): boolean;
  /** Acts on `actions` in order; says how many were done, and why the next one failed if one did. */
  act(ctx: ControllerContext, target: Target<M>, actions: A[]): Promise<{ done: number; error?: unknown }>;
}

/**
 * What an observation may throw for a named condition a person must fix (bd is not installed
 * where the rig's issues need it): an error with a `condition`. The plan then carries it as a
 * finding, the same one every controller of the object shows, instead of "observing failed".
 */
export function conditionIn(err: unknown): Finding | undefined {
  const c = (err as { condition?: Partial<Finding> } | null)?.condition;
  return c && typeof c.code === 'string' && typeof c.message === 'string' ? { code: c.code, message: c.message } : undefined;
}

/** An error that retrying cannot fix (until the spec changes): the object is marked Stalled. */
export class TerminalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}
