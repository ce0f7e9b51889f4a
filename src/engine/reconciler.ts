import { CONTROLLERS, type AnyController } from '../../controllers/registry.js';
import { keyOf, parseKey, type Kind, type ObjectKey, type Town } from '../model/objects.js';
import type { EventLog, GtEventBody } from '../store/events.js';
import type { Store, StoredObject } from '../store/store.js';
import { townPaths } from '../town/layout.js';
import { TerminalError, type ActionText, type ControllerContext, type DesiredWorld, type Finding, type Target } from './controller.js';
import { StatusStore, type ConditionInput, type ObjectStatus } from './status.js';
import { WorkQueue, type WorkResult } from './workqueue.js';

/** observe + plan for one object: exactly what diff prints and what run would act on. */
export interface KeyPlan {
  key: ObjectKey;
  generation: number;
  deleting: boolean;
  actions: { action: { type: string }; text: ActionText }[];
  findings: Finding[];
  /** Observing failed: nothing could be planned. */
  error?: string;
}

export interface KeyOutcome {
  key: ObjectKey;
  done: ActionText[];
  failed?: { text: ActionText; error: string; terminal: boolean };
  /** What is still planned after acting (empty when in sync), or undefined when the object was finalized. */
  after: KeyPlan | undefined;
}

export function worldFrom(objects: StoredObject[]): DesiredWorld {
  return { town: objects.find((o) => o.manifest.kind === 'Town') as StoredObject<Town> | undefined, objects };
}

export class Reconciler {
  readonly ctx: ControllerContext;
  readonly status: StatusStore;

  constructor(
    root: string,
    store: Store,
    private readonly events: EventLog,
    private readonly controllers: Partial<Record<Kind, AnyController>> = CONTROLLERS,
  ) {
    const paths = townPaths(root);
    this.ctx = { root, paths, store };
    this.status = new StatusStore(paths.statusDir);
  }

  async loadWorld(): Promise<DesiredWorld> {
    return worldFrom(await this.ctx.store.list());
  }

  /** Objects some controller reconciles, Town first. */
  targets(world: DesiredWorld): Target[] {
    return world.objects.filter((o) => this.controllers[o.manifest.kind]).map((o) => ({ key: keyOf(o.manifest), object: o, world }));
  }

  private controllerFor(key: ObjectKey): AnyController {
    const c = this.controllers[parseKey(key).kind];
    if (!c) throw new Error(`no controller for ${key}`);
    return c;
  }

  async planKey(t: Target): Promise<KeyPlan> {
    const c = this.controllerFor(t.key);
    const base = { key: t.key, generation: t.object.generation, deleting: t.object.deletionRequestedAt !== undefined };
    let observed: unknown;
    try {
      observed = await c.observe(this.ctx, t);
    } catch (err) {
      return { ...base, actions: [], findings: [], error: `observing failed: ${messageOf(err)}` };
    }
    const plan = c.plan(t, observed);
    return { ...base, actions: plan.actions.map((action) => ({ action, text: c.describe(action) })), findings: plan.findings };
  }

  /** observe + plan for every target, a bounded number at a time. Acts on nothing. */
  async planAll(world: DesiredWorld, concurrency = 8): Promise<KeyPlan[]> {
    const targets = this.targets(world);
    const out: KeyPlan[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        out[i] = await this.planKey(targets[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    return out;
  }

  /**
   * One reconcile of one object: observe, plan, act on each action in order (stopping at the
   * first failure, since later actions may build on it), then observe and plan again so the
   * status says what is really left.
   */
  async reconcileKey(key: ObjectKey): Promise<KeyOutcome> {
    const world = await this.loadWorld();
    const t = this.targets(world).find((x) => x.key === key);
    if (!t) return { key, done: [], after: undefined };
    const c = this.controllerFor(key);
    const plan = await this.planKey(t);
    const done: ActionText[] = [];
    const log: GtEventBody[] = [];
    let failed: KeyOutcome['failed'];
    if (plan.error) failed = { text: { op: '~', text: 'observe' }, error: plan.error, terminal: false };
    for (const { action, text } of plan.actions) {
      if (failed) break;
      const line = `${text.op} ${text.text}`;
      if (c.irreversible(action)) await this.events.append([{ type: 'intent', key, action, text: line }]);
      try {
        await c.act(this.ctx, t, action);
        done.push(text);
        log.push({ type: 'action', key, action, text: line, outcome: 'ok' });
      } catch (err) {
        failed = { text, error: messageOf(err), terminal: err instanceof TerminalError };
        log.push({ type: 'actionFailed', key, action, text: line, error: messageOf(err) });
      }
    }
    const stillStored = (await this.ctx.store.get(t.object.manifest.kind, t.object.manifest.metadata.name)) !== undefined;
    let after: KeyPlan | undefined;
    if (!stillStored) {
      await this.status.remove(t.object.manifest.kind, t.object.manifest.metadata.name);
    } else {
      after = done.length ? await this.planKey({ ...t, world: await this.loadWorld() }) : plan;
      const previous = await this.status.get(t.object.manifest.kind, t.object.manifest.metadata.name);
      await this.writeStatus(t, after, failed);
      for (const f of after.findings) {
        if (!previous?.findings.some((p) => p.code === f.code && p.message === f.message)) log.push({ type: 'finding', key, code: f.code, message: f.message });
      }
    }
    if (done.length || failed) log.push({ type: 'reconciled', key, generation: t.object.generation, ready: !!after && isClean(after) && !failed, pending: after?.actions.length ?? 0 });
    await this.events.append(log);
    return { key, done, ...(failed ? { failed } : {}), after };
  }

  private async writeStatus(t: Target, after: KeyPlan, failed: KeyOutcome['failed']): Promise<ObjectStatus> {
    const { kind, metadata } = t.object.manifest as { kind: Kind; metadata: { name: string } };
    const pending = after.actions.map((a) => `${a.text.op} ${a.text.text}`);
    const ready = isClean(after) && !failed;
    const stalledBy = failed?.terminal ? { reason: 'TerminalError', message: failed.error } : after.findings[0] ? { reason: after.findings[0].code, message: after.findings[0].message } : undefined;
    const conditions: ConditionInput[] = [
      ready
        ? { type: 'Ready', status: 'True', reason: 'InSync', message: 'everything matches the spec' }
        : { type: 'Ready', status: 'False', reason: failed ? 'ActionFailed' : after.findings.length ? 'Waiting' : 'Pending', message: failed ? `${failed.text.text}: ${failed.error}` : pending[0] ?? after.findings[0]?.message ?? '' },
      { type: 'Reconciling', status: !ready && !stalledBy ? 'True' : 'False', reason: failed ? 'RetryingAfterError' : pending.length ? 'ActionsPending' : 'Idle', message: `${pending.length} action${pending.length === 1 ? '' : 's'} pending` },
      stalledBy ? { type: 'Stalled', status: 'True', ...stalledBy } : { type: 'Stalled', status: 'False', reason: 'Progressing', message: '' },
    ];
    return this.status.update(kind, metadata.name, t.object.generation, conditions, {
      findings: after.findings,
      pending,
      ...(failed ? { lastError: `${failed.text.text}: ${failed.error}` } : {}),
    });
  }

  /**
   * Reconciles every object through the work queue until a pass changes nothing (at most
   * `maxPasses`): finalizing one object can change another's plan (a removed Rig leaves
   * config/rigs.json to render again).
   */
  async reconcileAll(opts: { concurrency?: number; maxPasses?: number } = {}): Promise<KeyOutcome[]> {
    const outcomes = new Map<string, KeyOutcome>();
    for (let pass = 0; pass < (opts.maxPasses ?? 3); pass++) {
      const keys = this.targets(await this.loadWorld()).map((t) => t.key);
      let changed = false;
      const queue = new WorkQueue(
        async (key): Promise<WorkResult> => {
          const o = await this.reconcileKey(key as ObjectKey);
          const prev = outcomes.get(key);
          outcomes.set(key, { ...o, done: [...(prev?.done ?? []), ...o.done] });
          if (o.done.length) changed = true;
          return o.failed ? { kind: o.failed.terminal ? 'terminal' : 'retry', error: o.failed.error } : { kind: 'done' };
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

export function isClean(p: KeyPlan): boolean {
  return !p.actions.length && !p.findings.length && !p.error;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
