// Prometheus metrics of one town (prom-client). Three sources, no second source of truth:
// the running loop (LoopFeed), the events log (spawns, crashes, merges, escalations), and the
// status view computed at scrape time (polecats, breakers, conditions, agents).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { KeyOutcome } from '../engine/reconciler.js';
import type { Condition } from '../engine/status.js';
import type { GtEvent } from '../store/events.js';
import type { StatusView } from '../cli/views/status.js';
import type { LoopFeed, QueueSnapshot } from './loop-feed.js';

const PREFIX = 'gt_';

/** `Rig/wyvern` → `wyvern`; other kinds' keys as they are. */
function rigOf(key: string): string {
  return key.startsWith('Rig/') ? key.slice(4) : key;
}

function actionType(e: GtEvent): string | undefined {
  const a = 'action' in e ? (e.action as { type?: unknown } | null) : null;
  return typeof a?.type === 'string' ? a.type : undefined;
}

/** The escalations gt sends (src/town/escalate.ts), by the action that sends them. */
const ESCALATING: Record<string, string> = { escalate: 'worker', escalateCrashLoop: 'session', blockIssue: 'merge', holdRequest: 'merge', returnIssue: 'worker' };

export class TownMetrics implements LoopFeed {
  readonly registry = new Registry();
  private readonly reconciles = new Counter({
    name: `${PREFIX}reconciles_total`,
    help: 'Reconciles by the running loop, per controller and result (ok, failed, busy)',
    labelNames: ['controller', 'result'],
    registers: [this.registry],
  });
  private readonly reconcileSeconds = new Histogram({
    name: `${PREFIX}reconcile_duration_seconds`,
    help: 'How long one reconcile of one work key took, per controller',
    labelNames: ['controller'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({ name: `${PREFIX}workqueue_depth`, help: "Work keys waiting in the running loop's queue", registers: [this.registry] });
  private readonly queueProcessing = new Gauge({ name: `${PREFIX}workqueue_processing`, help: 'Work keys being reconciled now', registers: [this.registry] });
  private readonly retries = new Counter({
    name: `${PREFIX}workqueue_retries_total`,
    help: 'Reconciles that failed and were queued again with backoff, per controller',
    labelNames: ['controller'],
    registers: [this.registry],
  });
  private readonly spawns = new Counter({ name: `${PREFIX}polecat_spawns_total`, help: 'Polecats spawned, per rig (events log)', labelNames: ['rig'], registers: [this.registry] });
  private readonly crashes = new Counter({
    name: `${PREFIX}session_crashes_total`,
    help: 'Agent sessions restarted after they died, per rig or object and role (events log)',
    labelNames: ['rig', 'role'],
    registers: [this.registry],
  });
  private readonly merges = new Counter({
    name: `${PREFIX}merges_total`,
    help: 'Merge attempts by outcome (merged, rejected, failed), per rig (events log)',
    labelNames: ['rig', 'outcome'],
    registers: [this.registry],
  });
  private readonly mergeSeconds = new Histogram({
    name: `${PREFIX}merge_duration_seconds`,
    help: 'From a merge intent to its outcome (fetch, merge, tests, push), per rig and outcome',
    labelNames: ['rig', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [this.registry],
  });
  private readonly escalationsSent = new Counter({
    name: `${PREFIX}escalations_total`,
    help: 'Escalations gt sent to a person, by source (worker, session, merge) (events log)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  private readonly escalationsUnread = new Gauge({ name: `${PREFIX}escalations_unread`, help: "Unread escalations in the Overseer's inbox", registers: [this.registry] });
  private readonly polecats = new Gauge({
    name: `${PREFIX}polecats`,
    help: 'Polecats per rig and state (starting, working, stalled, crashLooping; with "-no-session" or "-exited")',
    labelNames: ['rig', 'state'],
    registers: [this.registry],
  });
  private readonly breaker = new Gauge({ name: `${PREFIX}breaker_open`, help: "1 when the rig's circuit breaker is open", labelNames: ['rig'], registers: [this.registry] });
  private readonly readyIssues = new Gauge({ name: `${PREFIX}ready_issues`, help: 'Issues ready to dispatch, per rig', labelNames: ['rig'], registers: [this.registry] });
  private readonly mergeQueue = new Gauge({ name: `${PREFIX}merge_queue_depth`, help: 'Branches waiting in the merge queue, per rig', labelNames: ['rig'], registers: [this.registry] });
  private readonly conditions = new Gauge({
    name: `${PREFIX}condition`,
    help: 'Object conditions (Ready, Reconciling, Stalled): 1 True, 0 False',
    labelNames: ['kind', 'name', 'type'],
    registers: [this.registry],
  });
  private readonly agents = new Gauge({
    name: `${PREFIX}agent_sessions`,
    help: 'Long-running agent sessions per role and state (running, idle, crashLooping, ...)',
    labelNames: ['role', 'state'],
    registers: [this.registry],
  });
  private readonly inSync = new Gauge({ name: `${PREFIX}town_in_sync`, help: '1 when gt diff would exit 0', registers: [this.registry] });
  /** Merge intents not yet followed by their outcome: `key issue` → when. */
  private readonly mergeStarted = new Map<string, number>();

  reconciled(o: KeyOutcome, durationMs?: number): void {
    const controller = o.workKey.slice(0, o.workKey.indexOf(':'));
    this.reconciles.inc({ controller, result: o.busy ? 'busy' : o.failed ? 'failed' : 'ok' });
    if (o.failed && !o.failed.terminal) this.retries.inc({ controller });
    if (durationMs !== undefined) this.reconcileSeconds.observe({ controller }, durationMs / 1000);
  }

  queue(q: QueueSnapshot): void {
    this.queueDepth.set(q.depth);
    this.queueProcessing.set(q.processing);
  }

  /** Lines of the events log, oldest first. */
  events(list: readonly GtEvent[]): void {
    for (const e of list) {
      const type = actionType(e);
      if (!type) continue;
      const rig = rigOf(e.key);
      const action = (e as { action: Record<string, unknown> }).action;
      if (e.type === 'intent' && type === 'merge') this.mergeStarted.set(`${e.key} ${String(action.issueId)}`, Date.parse(e.time));
      if (e.type !== 'action' && e.type !== 'actionFailed') continue;
      if (e.type === 'action' && type === 'spawnWorker') this.spawns.inc({ rig });
      if (e.type === 'action' && type === 'restartSession') this.crashes.inc({ rig, role: 'polecat' });
      if (e.type === 'action' && type === 'startSession' && action.reason === 'crashed') this.crashes.inc({ rig, role: 'session' });
      if (e.type === 'action' && ESCALATING[type] && (type !== 'returnIssue' || action.status === 'escalated')) this.escalationsSent.inc({ source: ESCALATING[type] });
      if (type === 'merge') {
        const outcome = e.type === 'actionFailed' ? 'failed' : / -> rejected/.test(e.text) ? 'rejected' : 'merged';
        this.merges.inc({ rig, outcome });
        const id = `${e.key} ${String(action.issueId)}`;
        const started = this.mergeStarted.get(id);
        if (started !== undefined) this.mergeSeconds.observe({ rig, outcome }, Math.max(0, Date.parse(e.time) - started) / 1000);
        this.mergeStarted.delete(id);
      }
    }
  }

  /** The gauges read from state, set right before a scrape from the same status view `gt status` prints. */
  observeStatus(view: StatusView, conditions: Record<string, Condition[]>): void {
    for (const g of [this.polecats, this.breaker, this.readyIssues, this.mergeQueue, this.conditions, this.agents]) g.reset();
    this.escalationsUnread.set(view.escalations.length);
    this.inSync.set(view.inSync ? 1 : 0);
    for (const r of view.rigs) {
      // Each rig's counters exist from the first scrape, at 0 until something happens.
      this.spawns.inc({ rig: r.rig }, 0);
      this.crashes.inc({ rig: r.rig, role: 'polecat' }, 0);
      for (const outcome of ['merged', 'rejected', 'failed']) this.merges.inc({ rig: r.rig, outcome }, 0);
      this.breaker.set({ rig: r.rig }, r.breaker ? 1 : 0);
      this.readyIssues.set({ rig: r.rig }, r.readyIssues.length);
      this.mergeQueue.set({ rig: r.rig }, r.mergeQueue.queued.length);
      for (const w of r.workers) this.polecats.inc({ rig: r.rig, state: w.state.replace(' (no session)', '-no-session').replace(' (session exited)', '-exited') });
    }
    for (const [key, list] of Object.entries(conditions)) {
      const [kind, name] = key.split('/') as [string, string];
      for (const c of list) this.conditions.set({ kind, name, type: c.type }, c.status === 'True' ? 1 : 0);
    }
    for (const a of view.agents) this.agents.inc({ role: a.role, state: a.state });
  }
}
