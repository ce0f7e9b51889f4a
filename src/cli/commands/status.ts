import type { Rig, Swarm } from '../../model/objects.js';
import { isSwarmDetails, progressLine } from '../../../controllers/swarm/details.js';
import { conditionOf } from '../../engine/status.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { sessionName } from '../../../controllers/workers/plan.js';
import { outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { age } from './get.js';
import path from 'node:path';
import { readAgentState } from '../../agents/state.js';
import type { SessionDetail } from '../../../controllers/sessions/plan.js';

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

/** Per rig: its workers, the queue of ready issues, conditions and the breaker. */
export async function statusCommand(g: GlobalOptions, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const world = await session.reconciler.loadWorld();
  const town = world.town?.manifest;
  const sessions = await session.services.sessions(town, true);
  const rigs = [];
  for (const obj of world.objects.filter((x) => x.manifest.kind === 'Rig')) {
    const rig = obj.manifest as Rig;
    const name = rig.metadata.name;
    const [records, pool, status, ready] = await Promise.all([
      session.services.workers.list(name),
      session.services.workers.pool(name),
      session.reconciler.status.get('Rig', name),
      session.services.tracker(rig, town).then((t) => t.ready()),
    ]);
    const workers: WorkerView[] = [];
    for (const r of records) {
      const sname = sessionName(name, r.name);
      const s = sessions.find((x) => x.name === sname);
      const pane = s ? await session.services.tmux(town).capturePane(sname, { lines: 50 }).catch(() => '') : '';
      const lastOutput = pane.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? '';
      const heartbeat = readAgentState(path.join(session.root, name, 'polecats', r.name)).heartbeat;
    workers.push({ ...(heartbeat ? { heartbeat } : {}), name: r.name, issue: r.issueId, state: s ? (s.dead ? `${r.state} (session exited)` : r.state) : `${r.state} (no session)`, age: age(r.createdAt), session: sname, lastOutput });
    }
    const ready_ = conditionOf(status, 'Ready');
    const mq = (status?.controllers.refinery?.details ?? {}) as { current?: { issueId: string; phase: string } | null; queue?: { issue: string; branch: string }[]; failed?: { issue: string; failure?: string }[] };
    rigs.push({
      rig: name,
      suspended: !!rig.spec.suspend,
      ready: ready_?.status === 'True',
      reason: ready_?.status === 'True' ? '' : (ready_?.message ?? 'not reconciled yet'),
      workers,
      max: rig.spec.workers?.max ?? 3,
      readyIssues: ready.map((i) => ({ id: i.id, priority: i.priority, title: i.title })),
      breaker: pool.breaker && pool.breaker.generation === obj.generation ? pool.breaker : null,
      mergeQueue: { merging: mq.current ?? null, queued: mq.queue ?? [], sentBack: mq.failed ?? [] },
      findings: status?.findings ?? [],
      notes: status?.notes ?? [],
    });
  }
  // Long-running agent sessions: what the session-cycle controller last saw, per object.
  const agents: SessionDetail[] = [];
  for (const obj of world.objects.filter((x) => ['Town', 'Rig', 'Plugin'].includes(x.manifest.kind))) {
    const st = await session.reconciler.status.get(obj.manifest.kind, obj.manifest.metadata.name);
    const d = st?.controllers.sessions?.details as { sessions?: SessionDetail[] } | undefined;
    for (const s of d?.sessions ?? []) if (s.state !== 'disabled') agents.push(s);
  }
  const swarms = [];
  for (const obj of world.objects.filter((x) => x.manifest.kind === 'Swarm')) {
    const swarm = obj.manifest as Swarm;
    const status = await session.reconciler.status.get('Swarm', swarm.metadata.name);
    const details = status?.controllers.swarm?.details;
    swarms.push({ swarm: swarm.metadata.name, rig: swarm.spec.rig, progress: isSwarmDetails(details) ? details : null, findings: status?.findings ?? [] });
  }
  if (format !== 'text') {
    await printData(format, { town: session.root, socket: session.services.tmux(town).socket, stopped: !!town?.spec.suspend, agents, rigs, swarms });
    return 0;
  }
  const out: string[] = [`Town ${town?.metadata.name ?? '?'} at ${session.root} (tmux -L ${session.services.tmux(town).socket})${town?.spec.suspend ? ' [stopped: gt start resumes it]' : ''}`];
  if (agents.length) {
    out.push('', 'Agent sessions:');
    for (const a of agents) out.push(`  ${a.name.padEnd(24)} ${a.state.padEnd(12)} ${a.activityAt ? `output ${age(a.activityAt)} ago` : ''}${a.heartbeat ? `, gt call ${age(a.heartbeat)} ago` : ''}${a.drifted ? ', spec changed: cycles when idle' : ''}${a.restarts ? `, ${a.restarts} crash${a.restarts === 1 ? '' : 'es'}` : ''}`);
  }
  for (const r of rigs) {
    out.push('', `Rig ${r.rig}: ${r.ready ? 'in sync' : r.reason}${r.suspended ? ' [suspended]' : ''}`);
    out.push(`  workers ${r.workers.length}/${r.max}${r.breaker ? `   BREAKER OPEN since ${r.breaker.openedAt}: ${r.breaker.reason}` : ''}`);
    for (const w of r.workers) out.push(`    ${w.name.padEnd(10)} ${w.issue.padEnd(12)} ${w.state.padEnd(24)} ${w.age.padStart(4)}  ${w.lastOutput.slice(0, 60)}`);
    out.push(`  ready queue: ${r.readyIssues.length ? r.readyIssues.map((i) => `${i.id} (P${i.priority})`).join(', ') : 'empty'}`);
    const q = r.mergeQueue;
    out.push(`  merge queue: ${q.merging ? `merging ${q.merging.issueId} (${q.merging.phase}); ` : ''}${q.queued.length ? q.queued.map((x) => x.issue).join(', ') : 'empty'}`);
    for (const f of q.sentBack) out.push(`    sent back: ${f.issue}: ${f.failure ?? ''}`);
    for (const f of r.findings) out.push(`  ! ${f.code}: ${f.message}`);
    for (const n of r.notes) out.push(`  = ${n}`);
  }
  for (const s of swarms) {
    out.push('', `Swarm ${s.swarm} (rig ${s.rig}): ${s.progress ? progressLine(s.progress) : 'not reconciled yet'}`);
    for (const f of s.findings) out.push(`  ! ${f.code}: ${f.message}`);
  }
  print(out);
  return 0;
}
