// What `gt status` shows, built once: the command prints it, the dashboard serves and renders it,
// and the metrics' gauges are read from it at scrape time (no second source of truth).
import path from 'node:path';
import { BdNotOnPath } from '../../beads/layout.js';
import { BeadsCloneMissing } from '../../beads/repo.js';
import { keyOf, type Rig, type Swarm, type Town } from '../../model/objects.js';
import { isSwarmDetails, type SwarmDetails } from '../../swarm/details.js';
import { isInSync, type KeyPlan } from '../../engine/reconciler.js';
import type { Finding } from '../../engine/controller.js';
import { syncView, type SyncView } from '../sync-view.js';
import type { TownSession } from '../../town/session.js';
import { sessionName } from '../../workers/polecat.js';
import { agentFingerprint, openBreaker } from '../../workers/breaker.js';
import { age } from './objects.js';
import { readAgentState } from '../../agents/state.js';
import type { SessionDetail } from '../../sessions/detail.js';
import { commandExitStatus } from '../../agents/command.js';
import { OVERSEER } from '../../town/escalate.js';
import type { SessionInfo } from '../../runtime/tmux.js';
import type { StoredObject } from '../../store/store.js';
import type { PoolState } from '../../workers/records.js';
import { mergeQueueStore } from '../../refinery/requests.js';
import { readTextIfExists } from '../../util/fs-read.js';

export interface WorkerView {
  name: string;
  issue: string;
  state: string;
  age: string;
  /** When the polecat was given its issue. */
  since: string;
  session: string;
  lastOutput: string;
  /** The polecat's last gt call. */
  heartbeat?: string;
  /** What its agent's screen shows that keeps it from working (AgentOffline, ...): the rig's findings say more. */
  condition?: string;
  nudges: number;
  restarts: number;
}

export interface RigView extends SyncView {
  rig: string;
  suspended: boolean;
  workers: WorkerView[];
  max: number;
  readyIssues: { id: string; priority: number; title: string; assignee?: string }[];
  breaker: PoolState['breaker'] | null;
  mergeQueue: { merging: { issueId: string; phase: string; testOutput?: string } | null; queued: { issue: string; branch: string }[]; sentBack: { issue: string; failure?: string }[] };
}

export interface SwarmView {
  swarm: string;
  rig: string;
  progress: SwarmDetails | null;
  inSync: boolean;
  pending: string[];
  findings: Finding[];
}

export interface EscalationView {
  id: string;
  from: string;
  subject: string;
  priority: string;
  at: string;
}

/** `gt status -o json`, as documented in the README. */
export interface StatusView {
  town: string;
  socket: string;
  stopped: boolean;
  inSync: boolean;
  loop: { pid: number; since: string } | null;
  escalations: EscalationView[];
  agents: SessionDetail[];
  rigs: RigView[];
  swarms: SwarmView[];
}

/** The view, and what only the text form needs: the plans it was built from and the objects without a section. */
export interface TownStatus {
  view: StatusView;
  town: Town | undefined;
  plans: KeyPlan[];
  others: { manifest: StoredObject['manifest']; sync: SyncView }[];
}

function exitText(s: SessionInfo): string {
  if (s.exitSignal !== undefined) return `agent killed by signal ${s.exitSignal}`;
  const why = commandExitStatus(s.exitStatus);
  return `agent exited with status ${s.exitStatus ?? '?'}${why === 'notFound' ? ': command not found' : why === 'notExecutable' ? ': command not executable' : ''}`;
}

/** Per rig: its workers, the queue of ready issues, conditions and the breaker; swarms, agents, escalations. */
export async function townStatus(session: TownSession): Promise<TownStatus> {
  const world = await session.reconciler.loadWorld();
  const town = world.town?.manifest;
  // The plans gt diff prints (observed now), so status and diff cannot disagree.
  const plans = await session.reconciler.planAll(world);
  const plansOf = (key: string) => plans.filter((p) => p.key === key);
  const loop = await session.runningLoop();
  const actors = { loop: !!loop, reconciling: await session.reconciler.keyLocks.live() };
  const sessions = await session.services.sessions(town, true);
  const rigs: RigView[] = [];
  for (const obj of world.objects.filter((x) => x.manifest.kind === 'Rig')) {
    const rig = obj.manifest as Rig;
    const name = rig.metadata.name;
    const [records, pool, status, ready] = await Promise.all([
      session.services.workers.list(name),
      session.services.workers.pool(name),
      session.reconciler.status.get('Rig', name),
      session.services.tracker(rig, town).then(
        (t) => t.ready(),
        // A rig whose issues gt must not (or cannot yet) read has no ready queue; its plan says why.
        (err: unknown) => {
          if (err instanceof BdNotOnPath || err instanceof BeadsCloneMissing) return err;
          throw err;
        },
      ),
    ]);
    const readyQueue = ready instanceof BdNotOnPath || ready instanceof BeadsCloneMissing ? [] : ready;
    const workers: WorkerView[] = [];
    const planned = (plansOf(keyOf(rig)).find((p) => p.controller === 'workers')?.details ?? {}) as { workers?: { name: string; condition?: string }[] };
    for (const r of records) {
      const condition = planned.workers?.find((w) => w.name === r.name)?.condition ?? r.agentCondition?.code;
      const sname = sessionName(name, r.name);
      const s = sessions.find((x) => x.name === sname);
      // A dead pane's last line is tmux's "Pane is dead (status N)": the exit, explained, says more.
      const pane =
        s && !s.dead
          ? await session.services
              .tmux(town)
              .capturePane(sname, { lines: 50 })
              .catch(() => '')
          : '';
      const lastOutput = s?.dead
        ? exitText(s)
        : (pane
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .pop() ?? '');
      const heartbeat = (await readAgentState(path.join(session.root, name, 'polecats', r.name))).heartbeat;
      workers.push({
        ...(heartbeat ? { heartbeat } : {}),
        ...(condition ? { condition } : {}),
        name: r.name,
        issue: r.issueId,
        state: s ? (s.dead ? `${r.state} (session exited)` : r.state) : `${r.state} (no session)`,
        age: age(r.createdAt),
        since: r.createdAt,
        session: sname,
        lastOutput,
        nudges: r.nudges,
        restarts: Math.max(0, r.starts.length - 1),
      });
    }
    const mine = plansOf(keyOf(rig));
    const sync = syncView(mine, status?.lastError, actors, status?.retry);
    // A merge queue another process is working on right now (the loop, during a merge's tests) is
    // not planned here: its records on disk say what it merges and what waits.
    const mq = (mine.find((p) => p.controller === 'refinery')?.details ?? (await queueOnDisk(session.root, name))) as {
      current?: { issueId: string; phase: string } | null;
      queue?: { issue: string; branch: string }[];
      failed?: { issue: string; failure?: string }[];
    };
    const breaker = openBreaker(pool, obj.generation, agentFingerprint(town, rig));
    rigs.push({
      rig: name,
      suspended: !!rig.spec.suspend,
      ...sync,
      workers,
      max: rig.spec.workers.max,
      readyIssues: readyQueue.map((i) => ({ id: i.id, priority: i.priority, title: i.title, ...(i.assignee ? { assignee: i.assignee } : {}) })),
      breaker: breaker ?? null,
      mergeQueue: { merging: mq.current ? { ...mq.current, ...(await testOutput(session.root, name)) } : null, queued: mq.queue ?? [], sentBack: mq.failed ?? [] },
    });
  }
  // Long-running agent sessions: what the session-cycle controller last saw, per object.
  const agents: SessionDetail[] = [];
  for (const p of plans.filter((x) => x.controller === 'sessions')) {
    for (const s of (p.details as { sessions?: SessionDetail[] } | undefined)?.sessions ?? []) if (s.state !== 'disabled') agents.push(s);
  }
  const swarms: SwarmView[] = [];
  for (const obj of world.objects.filter((x) => x.manifest.kind === 'Swarm')) {
    const swarm = obj.manifest as Swarm;
    const status = await session.reconciler.status.get('Swarm', swarm.metadata.name);
    const details = status?.controllers.swarm?.details;
    const sync = syncView(plansOf(keyOf(swarm)), status?.lastError, actors, status?.retry);
    swarms.push({ swarm: swarm.metadata.name, rig: swarm.spec.rig, progress: isSwarmDetails(details) ? details : null, inSync: sync.inSync, pending: sync.pending, findings: sync.findings });
  }
  const others: TownStatus['others'] = [];
  for (const x of world.objects.filter((o) => o.manifest.kind === 'Town' || o.manifest.kind === 'Plugin')) {
    const status = await session.reconciler.status.get(x.manifest.kind, x.manifest.metadata.name);
    const sync = syncView(plansOf(keyOf(x.manifest)), status?.lastError, actors, status?.retry);
    if (!sync.inSync) others.push({ manifest: x.manifest, sync });
  }
  // What waits on the person reading this comes first: escalations nobody else will read.
  const escalations = (await session.services.mailbox(OVERSEER).list())
    .filter((m) => m.type === 'escalation' && !m.read)
    .map((m) => ({ id: m.id, from: m.from, subject: m.subject, priority: m.priority, at: m.timestamp }));
  const view: StatusView = {
    town: session.root,
    socket: session.services.tmux(town).socket,
    stopped: !!town?.spec.suspend,
    inSync: plans.every(isInSync),
    loop: loop ? { pid: loop.pid, since: loop.startedAt } : null,
    escalations,
    agents,
    rigs,
    swarms,
  };
  return { view, town, plans, others };
}

/** The merge queue as its records are (the current merge, requests waiting, requests sent back), for a queue being worked elsewhere. */
async function queueOnDisk(root: string, rig: string) {
  const store = mergeQueueStore(root);
  const [requests, current] = await Promise.all([store.list(rig), store.current(rig)]);
  const sentBack = (r: (typeof requests)[number]) => r.failedHead === r.head;
  return {
    current: current ? { issueId: current.issueId, phase: current.phase } : null,
    queue: requests.filter((r) => !sentBack(r) && r.issueId !== current?.issueId).map((r) => ({ issue: r.issueId, branch: r.branch })),
    failed: requests.filter(sentBack).map((r) => ({ issue: r.issueId, branch: r.branch, failure: r.failure })),
  };
}

/** The last lines the current merge's test command printed, while it runs (written by the merge queue as they come). */
async function testOutput(root: string, rig: string): Promise<{ testOutput?: string }> {
  const text = await readTextIfExists(mergeQueueStore(root).testLog(rig));
  const tail = text?.trimEnd().split('\n').slice(-20).join('\n');
  return tail ? { testOutput: tail } : {};
}
