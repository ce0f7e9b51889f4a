import { BdNotOnPath } from '../../beads/layout.js';
import { BeadsCloneMissing } from '../../beads/repo.js';
import type { Rig, Swarm } from '../../model/objects.js';
import { isSwarmDetails, progressLine } from '../../swarm/details.js';
import { isInSync } from '../../engine/reconciler.js';
import { keyOf } from '../../model/objects.js';
import { summarize, summaryLine } from '../render.js';
import { syncView } from '../sync-view.js';
import { listShort } from '../../util/list-text.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { sessionName } from '../../workers/polecat.js';
import { agentFingerprint, openBreaker } from '../../workers/breaker.js';
import { outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { age } from './get.js';
import path from 'node:path';
import { readAgentState } from '../../agents/state.js';
import type { SessionDetail } from '../../sessions/detail.js';
import { commandExitStatus } from '../../agents/command.js';
import { OVERSEER } from '../../town/escalate.js';
import type { SessionInfo } from '../../adapters/tmux.js';

interface WorkerView {
  name: string;
  issue: string;
  state: string;
  age: string;
  session: string;
  lastOutput: string;
  /** The polecat's last gt call. */
  heartbeat?: string;
}

function exitText(s: SessionInfo): string {
  if (s.exitSignal !== undefined) return `agent killed by signal ${s.exitSignal}`;
  const why = commandExitStatus(s.exitStatus);
  return `agent exited with status ${s.exitStatus ?? '?'}${why === 'notFound' ? ': command not found' : why === 'notExecutable' ? ': command not executable' : ''}`;
}

/** Per rig: its workers, the queue of ready issues, conditions and the breaker. */
export async function statusCommand(g: GlobalOptions, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const world = await session.reconciler.loadWorld();
  const town = world.town?.manifest;
  // The plans gt diff prints (observed now), so status and diff cannot disagree.
  const plans = await session.reconciler.planAll(world);
  const plansOf = (key: string) => plans.filter((p) => p.key === key);
  const loop = await session.runningLoop();
  const actors = { loop: !!loop, reconciling: await session.reconciler.keyLocks.live() };
  const sessions = await session.services.sessions(town, true);
  const rigs = [];
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
    for (const r of records) {
      const sname = sessionName(name, r.name);
      const s = sessions.find((x) => x.name === sname);
      // A dead pane's last line is tmux's "Pane is dead (status N)": the exit, explained, says more.
      const pane = s && !s.dead ? await session.services.tmux(town).capturePane(sname, { lines: 50 }).catch(() => '') : '';
      const lastOutput = s?.dead ? exitText(s) : (pane.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '');
      const heartbeat = (await readAgentState(path.join(session.root, name, 'polecats', r.name))).heartbeat;
    workers.push({ ...(heartbeat ? { heartbeat } : {}), name: r.name, issue: r.issueId, state: s ? (s.dead ? `${r.state} (session exited)` : r.state) : `${r.state} (no session)`, age: age(r.createdAt), session: sname, lastOutput });
    }
    const mine = plansOf(keyOf(rig));
    const sync = syncView(mine, status?.lastError, actors, status?.retry);
    const mq = (mine.find((p) => p.controller === 'refinery')?.details ?? {}) as { current?: { issueId: string; phase: string } | null; queue?: { issue: string; branch: string }[]; failed?: { issue: string; failure?: string }[] };
    rigs.push({
      rig: name,
      suspended: !!rig.spec.suspend,
      ...sync,
      workers,
      max: rig.spec.workers?.max ?? 3,
      readyIssues: readyQueue.map((i) => ({ id: i.id, priority: i.priority, title: i.title, ...(i.assignee ? { assignee: i.assignee } : {}) })),
      breaker: openBreaker(pool, obj.generation, agentFingerprint(town, rig)) ?? null,
      mergeQueue: { merging: mq.current ?? null, queued: mq.queue ?? [], sentBack: mq.failed ?? [] },
    });
  }
  // Long-running agent sessions: what the session-cycle controller last saw, per object.
  const agents: SessionDetail[] = [];
  for (const p of plans.filter((x) => x.controller === 'sessions')) {
    for (const s of (p.details as { sessions?: SessionDetail[] } | undefined)?.sessions ?? []) if (s.state !== 'disabled') agents.push(s);
  }
  const swarms = [];
  for (const obj of world.objects.filter((x) => x.manifest.kind === 'Swarm')) {
    const swarm = obj.manifest as Swarm;
    const status = await session.reconciler.status.get('Swarm', swarm.metadata.name);
    const details = status?.controllers.swarm?.details;
    const sync = syncView(plansOf(keyOf(swarm)), status?.lastError, actors, status?.retry);
    swarms.push({ swarm: swarm.metadata.name, rig: swarm.spec.rig, progress: isSwarmDetails(details) ? details : null, inSync: sync.inSync, pending: sync.pending, findings: sync.findings });
  }
  const others = [];
  for (const x of world.objects.filter((o) => o.manifest.kind === 'Town' || o.manifest.kind === 'Plugin')) {
    const status = await session.reconciler.status.get(x.manifest.kind, x.manifest.metadata.name);
    const sync = syncView(plansOf(keyOf(x.manifest)), status?.lastError, actors, status?.retry);
    if (!sync.inSync) others.push({ manifest: x.manifest, sync });
  }
  // What waits on the person reading this comes first: escalations nobody else will read.
  const escalations = (await session.services.mailbox(OVERSEER).list()).filter((m) => m.type === 'escalation' && !m.read).map((m) => ({ id: m.id, from: m.from, subject: m.subject, priority: m.priority, at: m.timestamp }));
  if (format !== 'text') {
    await printData(format, { town: session.root, socket: session.services.tmux(town).socket, stopped: !!town?.spec.suspend, inSync: plans.every(isInSync), loop: loop ? { pid: loop.pid, since: loop.startedAt } : null, escalations, agents, rigs, swarms });
    return 0;
  }
  const out: string[] = [`Town ${town?.metadata.name ?? '?'} at ${session.root} (${session.services.tmux(town).commandLine})${town?.spec.suspend ? ' [stopped: gt start resumes it]' : ''}`];
  if (escalations.length) {
    out.push('', `Escalations for you (${escalations.length} unread; gt mail inbox ${OVERSEER}):`);
    for (const e of escalations) out.push(`  * ${age(e.at).padStart(4)} ago  from ${e.from}: ${e.subject}  (gt mail read ${e.id})`);
  }
  out.push('', loop ? `Loop: gt run, pid ${loop.pid}, since ${loop.startedAt}` : 'Loop: none running (gt run reconciles the town; gt run --once does one pass)');
  if (agents.length) {
    out.push('', 'Agent sessions:');
    for (const a of agents) out.push(`  ${a.name.padEnd(24)} ${a.state.padEnd(12)} ${a.activityAt ? `output ${age(a.activityAt)} ago` : ''}${a.heartbeat ? `, gt call ${age(a.heartbeat)} ago` : ''}${a.drifted ? ', spec changed: cycles when idle' : ''}${a.restarts ? `, ${a.restarts} crash${a.restarts === 1 ? '' : 'es'}` : ''}`);
  }
  // Objects without a section of their own (the Town, Plugins) are named only when not in sync.
  for (const obj of others) {
    out.push('', `${keyOf(obj.manifest)}: ${obj.sync.reason}`, ...obj.sync.pending.map((p) => `  ${p}`), ...obj.sync.findings.map((f) => `  ! ${f.code}: ${f.message}`));
  }
  for (const r of rigs) {
    out.push('', `Rig ${r.rig}: ${r.reason}${r.suspended ? ' [suspended]' : ''}`);
    for (const p of r.pending) out.push(`  ${p}`);
    out.push(`  workers ${r.workers.length}/${r.max}${r.breaker ? `   BREAKER OPEN since ${r.breaker.openedAt}: ${r.breaker.reason}` : ''}`);
    for (const w of r.workers) out.push(`    ${w.name.padEnd(10)} ${w.issue.padEnd(12)} ${w.state.padEnd(24)} ${w.age.padStart(4)}  ${w.lastOutput.slice(0, 60)}`);
    out.push(`  ready queue: ${r.readyIssues.length ? listShort(r.readyIssues.map((i) => `${i.id} (P${i.priority}${i.assignee ? `, claimed by ${i.assignee}` : ''})`)) : 'empty'}`);
    const q = r.mergeQueue;
    out.push(`  merge queue: ${q.merging ? `merging ${q.merging.issueId} (${q.merging.phase}); ` : ''}${q.queued.length ? listShort(q.queued.map((x) => x.issue)) : 'empty'}`);
    for (const f of q.sentBack) out.push(`    sent back: ${f.issue}: ${f.failure ?? ''}`);
    for (const f of r.findings) out.push(`  ! ${f.code}: ${f.message}`);
    for (const n of r.notes) out.push(`  = ${n}`);
  }
  for (const s of swarms) {
    out.push('', `Swarm ${s.swarm} (rig ${s.rig}): ${s.progress ? progressLine(s.progress) : 'not reconciled yet'}`);
    for (const p of s.pending) out.push(`  ${p}`);
    for (const f of s.findings) out.push(`  ! ${f.code}: ${f.message}`);
  }
  // The same line gt diff ends with: the whole town in one plan.
  out.push('', summaryLine(summarize([], plans)));
  print(out);
  return 0;
}
