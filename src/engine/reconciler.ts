import { describeError, systemError } from '../errors.js';
import { keyOf, parseKey, type Kind, type ObjectKey, type Town } from '../model/objects.js';
import type { EventLog, GtEventBody } from '../store/events.js';
import { describeHolder, isLease, KeyLocks, type KeyHolder, type KeyLease, type KeyWait } from '../store/key-lock.js';
import type { StoredObject } from '../store/store.js';
import { townPaths } from '../town/layout.js';
import { TerminalError, conditionIn, type ActionText, type AnyController, type ControllerContext, type DesiredWorld, type Finding, type Target } from './controller.js';
import type { DesiredStateCache } from './desired-cache.js';
import { ObservationPass, readIfListed } from './observation-pass.js';
import { StatusStore, type ConditionInput } from './status.js';
import { failpoint } from '../util/failpoint.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

/** The loop's choice of the next attempt of a key whose reconcile failed (its work queue's backoff). */
export type RetryPlanner = () => { attempts: number; at: Date };

/** What the work queue holds: one controller's view of one object, e.g. `workers:Rig/wyvern`. */
export type WorkKey = `${string}:${ObjectKey}`;

/** observe + plan for one object by one controller: exactly what diff prints and what run would act on. */
export interface KeyPlan {
  workKey: WorkKey;
  key: ObjectKey;
  controller: string;
  /** How people see it: `Rig/wyvern`, or `Rig/wyvern [workers]` for a kind's secondary controllers. */
  label: string;
  generation: number;
  deleting: boolean;
  actions: { action: { type: string }; text: ActionText }[];
  findings: Finding[];
  notes: string[];
  /** Plan.pending: decided, waiting for the right moment. */
  pending: ActionText[];
  requeueAfterMs?: number;
  details?: unknown;
  /** Nothing to do, but not done (Plan.notReady). */
  notReady?: { reason: string; message: string };
  /** Observing failed: nothing could be planned. */
  error?: string;
}

export interface KeyOutcome {
  workKey: WorkKey;
  key: ObjectKey;
  label: string;
  done: ActionText[];
  failed?: { text: ActionText; error: string; terminal: boolean };
  /** What is still planned after acting (empty when in sync), or undefined when the object was finalized or busy. */
  after: KeyPlan | undefined;
  /** Another process is reconciling this key right now: nothing was done here, it is left to that one. */
  busy?: KeyHolder;
}

interface WorkTarget extends Target {
  controller: AnyController;
  workKey: WorkKey;
  label: string;
}

export function worldFrom(objects: StoredObject[]): DesiredWorld {
  return { town: objects.find((o) => o.manifest.kind === 'Town') as StoredObject<Town> | undefined, objects };
}

export function workKeyOf(controller: string, key: ObjectKey): WorkKey {
  return `${controller}:${key}`;
}

/**
 * A one-shot command's way with a busy key when it says nothing else: left to whoever holds it
 * (a clone or a test run can take minutes; the command says so and returns).
 */
const ONE_SHOT: KeyWait = { command: 'gt', waitMs: 0 };

export class Reconciler {
  readonly status: StatusStore;
  /** Who reconciles which key now, across processes. */
  readonly keyLocks: KeyLocks;

  constructor(
    readonly ctx: ControllerContext,
    private readonly events: EventLog,
    /** Every controller, in the order they run for an object (the town's wiring passes them in). */
    private readonly controllers: readonly AnyController[],
  ) {
    this.status = new StatusStore(townPaths(ctx.root).statusDir);
    this.keyLocks = new KeyLocks(townPaths(ctx.root).reconcilingDir);
  }

  /** The loop's cache of the desired state; a one-shot command reads the store each time. */
  private cache: DesiredStateCache | undefined;

  /** Reads the desired state through `cache` from now on (gt run: once per change, not once per key). */
  readWorldFrom(cache: DesiredStateCache): void {
    this.cache = cache;
  }

  async loadWorld(): Promise<DesiredWorld> {
    return this.cache ? this.cache.world() : worldFrom(await this.ctx.store.list());
  }

  /** Every (controller, object) pair to reconcile, Town first, in controller order per object. */
  targets(world: DesiredWorld): WorkTarget[] {
    const out: WorkTarget[] = [];
    for (const object of world.objects) {
      const kind = object.manifest.kind;
      const mine = this.controllers.filter((c) => c.kind === kind);
      for (const [i, controller] of mine.entries()) {
        const key = keyOf(object.manifest);
        out.push({ key, object, world, controller, workKey: workKeyOf(controller.name, key), label: i === 0 ? key : `${key} [${controller.name}]` });
      }
    }
    return out;
  }

  /** `pass`: only from planAll, where nothing acts (ObserveContext). */
  async planKey(t: WorkTarget, pass?: ObservationPass): Promise<KeyPlan> {
    const c = t.controller;
    const base = { workKey: t.workKey, key: t.key, controller: c.name, label: t.label, generation: t.object.generation, deleting: t.object.deletionRequestedAt !== undefined, notes: [] as string[] };
    // Another process is in the middle of this key (a clone, a merge's test run): what it is
    // doing is the plan. Its in-progress records (a partial clone, the merge's intent) are not
    // leftovers to clean up, and nothing else is done to the key until it is finished.
    const busy = await readIfListed(pass, this.keyLocks.file(t.workKey), () => this.keyLocks.heldElsewhere(t.workKey));
    if (busy) return { ...base, actions: [], findings: [], pending: [{ op: '~', text: `being reconciled: ${describeHolder(busy)}` }] };
    let observed: unknown;
    try {
      observed = await c.observe(pass ? { ...this.ctx, pass } : this.ctx, t);
    } catch (err) {
      const condition = conditionIn(err);
      if (condition) return { ...base, actions: [], findings: [condition], pending: [] };
      return { ...base, actions: [], findings: [], pending: [], error: `observing failed: ${messageOf(err)}` };
    }
    const plan = c.plan(t, observed);
    return {
      ...base,
      actions: plan.actions.map((action) => ({ action, text: c.describe(action) })),
      findings: plan.findings,
      notes: plan.notes ?? [],
      pending: plan.pending ?? [],
      ...(plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {}),
      ...(plan.details !== undefined ? { details: plan.details } : {}),
      ...(plan.notReady !== undefined ? { notReady: plan.notReady } : {}),
    };
  }

  /**
   * observe + plan for every target, a bounded number at a time. Acts on nothing, so its
   * controllers share one ObservationPass, which ends with the call.
   */
  async planAll(world: DesiredWorld, concurrency = 8): Promise<KeyPlan[]> {
    const targets = this.targets(world);
    const pass = new ObservationPass();
    const out: KeyPlan[] = new Array<KeyPlan>(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        out[i] = await this.planKey(targets[i]!, pass);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    return out;
  }

  /**
   * One reconcile of one work key: observe, plan, act on each action in order (stopping at the
   * first failure, since later actions may build on it), then observe and plan again so the
   * status says what is really left.
   */
  async reconcileKey(workKey: WorkKey, wait: KeyWait = ONE_SHOT, retry?: RetryPlanner): Promise<KeyOutcome | undefined> {
    const seen = this.targets(await this.loadWorld()).find((x) => x.workKey === workKey);
    if (!seen) return undefined;
    try {
      // The key's lock, held across the whole reconcile (a clone, a merge's tests): never the town's.
      const lease = await this.keyLocks.take(workKey, wait);
      if (!isLease(lease)) return { workKey, key: seen.key, label: seen.label, done: [], after: undefined, busy: lease };
      try {
        return await this.reconcileLeased(workKey, lease, retry);
      } finally {
        await lease.release();
      }
    } catch (err) {
      // What failed around the actions (its lock, the events log, its status: a full disk) is this
      // key's failure, said and retried like an action's, never a silent skip.
      const refused = systemError(err);
      return {
        workKey,
        key: seen.key,
        label: seen.label,
        done: [],
        after: undefined,
        failed: { text: { op: '~', text: 'reconcile' }, error: refused ? describeError(refused) : messageOf(err), terminal: false },
      };
    }
  }

  private async reconcileLeased(workKey: WorkKey, lease: KeyLease, retry?: RetryPlanner): Promise<KeyOutcome | undefined> {
    // Read again under the key's lock: the holder before us may have changed what we saw.
    const t = this.targets(await this.loadWorld()).find((x) => x.workKey === workKey);
    if (!t) return undefined;
    const c = t.controller;
    const ctx: ControllerContext = { ...this.ctx, activity: (text, limitMs) => void lease.doing(text, limitMs).catch(() => undefined) };
    const plan = await this.planKey(t);
    const done: ActionText[] = [];
    const log: GtEventBody[] = [];
    let failed: KeyOutcome['failed'];
    if (plan.error) failed = { text: { op: '~', text: 'observe' }, error: plan.error, terminal: false };
    /** Acts on one action; what it did is recorded by the caller, in plan order. */
    const actOne = async ({ action, text }: KeyPlan['actions'][number]) => {
      const line = `${text.op} ${text.text}`;
      try {
        const outcome = await c.act(ctx, t, action);
        return { action, text, line, outcome: outcome || undefined };
      } catch (err) {
        return { action, text, line, error: messageOf(err), terminal: err instanceof TerminalError };
      }
    };
    const batch = c.batch;
    const kinds = { batch: (a: { type: string }) => batch?.accepts(a) ?? false, concurrent: (a: { type: string }) => c.concurrent?.(a) ?? false };
    // In order, stopping at the first failure (later actions may build on earlier ones); a run of
    // independent actions goes a few at a time, a run of batchable ones in one call.
    for (const group of actionGroups(plan.actions, kinds, MAX_CONCURRENT_ACTIONS)) {
      if (failed) break;
      const run = group.steps;
      await lease.doing(run.map((s) => `${s.text.op} ${s.text.text}`).join('; '));
      const intents = run.filter((s) => c.irreversible(s.action)).map((s): GtEventBody => ({ type: 'intent', key: t.key, action: s.action, text: `${s.text.op} ${s.text.text}` }));
      if (intents.length) {
        await this.events.append(intents);
        failpoint('engine:after-intent');
      }
      if (group.batch && batch) {
        const r = await batch.act(
          ctx,
          t,
          run.map((s) => s.action),
        );
        for (const s of run.slice(0, r.done)) {
          done.push(s.text);
          log.push({ type: 'action', key: t.key, action: s.action, text: `${s.text.op} ${s.text.text}`, outcome: 'ok' });
        }
        const next = run[Math.min(r.done, run.length - 1)]!;
        if (r.error !== undefined) {
          failed = { text: next.text, error: messageOf(r.error), terminal: r.error instanceof TerminalError };
          log.push({ type: 'actionFailed', key: t.key, action: next.action, text: `${next.text.op} ${next.text.text}`, error: messageOf(r.error) });
        }
        continue;
      }
      for (const r of await Promise.all(run.map(actOne))) {
        if (r.error !== undefined) {
          failed ??= { text: r.text, error: r.error, terminal: !!r.terminal };
          log.push({ type: 'actionFailed', key: t.key, action: r.action, text: r.line, error: r.error });
        } else {
          done.push(r.outcome ? { op: r.text.op, text: `${r.text.text} -> ${r.outcome}` } : r.text);
          log.push({ type: 'action', key: t.key, action: r.action, text: r.outcome ? `${r.line} -> ${r.outcome}` : r.line, outcome: 'ok' });
        }
      }
    }
    const { kind, metadata } = t.object.manifest as { kind: Kind; metadata: { name: string } };
    let after: KeyPlan | undefined;
    // Only an action can remove the record (a finalizer); without one it is still there.
    if (done.length && (await this.ctx.store.get(kind, metadata.name)) === undefined) {
      await this.status.remove(kind, metadata.name);
    } else {
      after = done.length ? await this.planKey({ ...t, world: await this.loadWorld() }) : plan;
      const previous = await this.status.getController(kind, metadata.name, c.name);
      await this.writeStatus(t, after, failed);
      // Said while the key is still ours, so no other process's status of it can come in between.
      if (failed && !failed.terminal && retry) await this.noteRetry(workKey, retry());
      for (const f of after.findings) {
        if (!previous?.findings.some((p) => p.code === f.code && p.message === f.message)) log.push({ type: 'finding', key: t.key, code: f.code, message: f.message });
      }
    }
    if (done.length || failed)
      log.push({ type: 'reconciled', key: t.key, generation: t.object.generation, ready: !!after && isClean(after) && !after.notReady && !failed, pending: after?.actions.length ?? 0 });
    await this.events.append(log);
    return { workKey, key: t.key, label: t.label, done, ...(failed ? { failed } : {}), after };
  }

  /** `gt run` will reconcile a failed key again at `at` (its work queue's backoff): status says when. */
  async noteRetry(workKey: WorkKey, { attempts, at }: { attempts: number; at: Date }): Promise<void> {
    const controller = workKey.slice(0, workKey.indexOf(':'));
    const { kind, name } = parseKey(workKey.slice(workKey.indexOf(':') + 1));
    await this.status.setRetry(kind, name, controller, { attempts, nextAttemptAt: at.toISOString() });
  }

  private async writeStatus(t: WorkTarget, after: KeyPlan, failed: KeyOutcome['failed']): Promise<void> {
    const { kind, metadata } = t.object.manifest as { kind: Kind; metadata: { name: string } };
    const pending = after.actions.map((a) => `${a.text.op} ${a.text.text}`);
    const progressing = isClean(after) && !failed ? after.notReady : undefined;
    const ready = isClean(after) && !failed && !progressing;
    const stalledBy = failed?.terminal ? { reason: 'TerminalError', message: failed.error } : after.findings[0] ? { reason: after.findings[0].code, message: after.findings[0].message } : undefined;
    const conditions: ConditionInput[] = [
      ready
        ? { type: 'Ready', status: 'True', reason: 'InSync', message: 'everything matches the spec' }
        : {
            type: 'Ready',
            status: 'False',
            reason: failed ? 'ActionFailed' : after.findings.length ? 'Waiting' : (progressing?.reason ?? 'Pending'),
            message: failed ? `${failed.text.text}: ${failed.error}` : (pending[0] ?? after.findings[0]?.message ?? progressing?.message ?? ''),
          },
      {
        type: 'Reconciling',
        status: !ready && !stalledBy && !progressing ? 'True' : 'False',
        reason: failed ? 'RetryingAfterError' : pending.length ? 'ActionsPending' : (progressing?.reason ?? 'Idle'),
        message: `${pending.length} action${pending.length === 1 ? '' : 's'} pending`,
      },
      stalledBy ? { type: 'Stalled', status: 'True', ...stalledBy } : { type: 'Stalled', status: 'False', reason: 'Progressing', message: '' },
    ];
    await this.status.update(kind, metadata.name, t.controller.name, t.object.generation, conditions, {
      findings: after.findings,
      pending,
      notes: after.notes,
      ...(failed ? { lastError: `${failed.text.text}: ${failed.error}` } : {}),
      ...(after.details !== undefined ? { details: after.details } : {}),
    });
  }

  /**
   * Reconciles every work key through the work queue until a pass changes nothing (at most
   * `maxPasses`): finalizing one object can change another's plan (a removed Rig leaves
   * config/rigs.json to render again), and a merge queue merges one branch per pass.
   */
  async reconcileAll(opts: { concurrency?: number; maxPasses?: number; wait?: KeyWait; only?: (key: ObjectKey) => boolean } = {}): Promise<KeyOutcome[]> {
    const outcomes = new Map<string, KeyOutcome>();
    // A key that failed is left to its backoff (the loop, or the next command): running it again
    // in the next pass would only repeat a slow failure (an unreachable host) within one command.
    // A key another process is reconciling is left to it.
    const failedKeys = new Set<string>();
    for (let pass = 0; pass < (opts.maxPasses ?? 10); pass++) {
      const keys = this.targets(await this.loadWorld())
        .filter((t) => !opts.only || opts.only(t.key))
        .map((t) => t.workKey)
        .filter((k) => !failedKeys.has(k));
      let changed = false;
      const queue = new WorkQueue(
        async (key): Promise<WorkResult> => {
          const o = await this.reconcileKey(key as WorkKey, opts.wait);
          if (!o) return { kind: 'done' };
          // Another process has it: said once, and not tried again in this command.
          if (o.busy) {
            outcomes.set(key, { ...o, done: outcomes.get(key)?.done ?? [] });
            failedKeys.add(key);
            return { kind: 'done' };
          }
          const prev = outcomes.get(key);
          outcomes.set(key, { ...o, done: [...(prev?.done ?? []), ...o.done] });
          if (o.done.length) changed = true;
          // One attempt per command: its retries with backoff are the loop's (or the next command's),
          // so a one-shot never spends minutes retrying a remote that does not answer.
          if (o.failed) failedKeys.add(key);
          return { kind: 'done' };
        },
        { concurrency: opts.concurrency ?? 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
      );
      for (const k of keys) queue.add(k);
      await queue.drain();
      queue.stop();
      if (!changed) break;
    }
    return [...outcomes.values()];
  }
}

/** How many independent actions of one plan run at once (each clone is a git process and a download). */
const MAX_CONCURRENT_ACTIONS = 3;

/** Actions run together: a batch in one call of the controller's batcher, or independent actions at the same time. */
export interface ActionGroup<T> {
  batch: boolean;
  steps: T[];
}

/**
 * Splits a plan's actions into groups run one after another: a run of batchable ones (all of it),
 * a run of concurrent ones (at most `max`), and any other action alone.
 */
export function actionGroups<T extends { action: { type: string } }>(
  actions: readonly T[],
  is: { batch(a: { type: string }): boolean; concurrent(a: { type: string }): boolean },
  max: number,
): ActionGroup<T>[] {
  const groups: ActionGroup<T>[] = [];
  for (const a of actions) {
    const last = groups[groups.length - 1];
    const batch = is.batch(a.action);
    if (last && batch && last.batch) last.steps.push(a);
    else if (last && !batch && !last.batch && is.concurrent(a.action) && is.concurrent(last.steps[0]!.action) && last.steps.length < max) last.steps.push(a);
    else groups.push({ batch, steps: [a] });
  }
  return groups;
}

export function isClean(p: KeyPlan): boolean {
  return !p.actions.length && !p.findings.length && !p.error;
}

/** What diff calls in sync: nothing to do now and nothing decided for later. */
export function isInSync(p: KeyPlan): boolean {
  return isClean(p) && !p.pending.length;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
