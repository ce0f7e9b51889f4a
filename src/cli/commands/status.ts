import { progressLine } from '../../swarm/details.js';
import { keyOf } from '../../model/objects.js';
import { summarize, summaryLine } from '../render.js';
import { listShort } from '../../util/list-text.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { age } from '../views/objects.js';
import { townStatus } from '../views/status.js';
import { OVERSEER } from '../../town/escalate.js';

/** Per rig: its workers, the queue of ready issues, conditions and the breaker. */
export async function statusCommand(g: GlobalOptions, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const { view, town, plans, others } = await townStatus(session);
  const { loop, escalations, agents, rigs, swarms } = view;
  if (format !== 'text') {
    await printData(format, view);
    return 0;
  }
  const out: string[] = [`Town ${town?.metadata.name ?? '?'} at ${session.root} (${session.services.tmux(town).commandLine})${town?.spec.suspend ? ' [stopped: gt start resumes it]' : ''}`];
  if (escalations.length) {
    out.push('', `Escalations for you (${escalations.length} unread; gt mail inbox ${OVERSEER}):`);
    for (const e of escalations) out.push(`  * ${age(e.at).padStart(4)} ago  from ${e.from}: ${e.subject}  (gt mail read ${e.id})`);
  }
  out.push('', loop ? `Loop: gt run, pid ${loop.pid}, since ${loop.since}` : 'Loop: none running (gt run reconciles the town; gt run --once does one pass)');
  if (agents.length) {
    out.push('', 'Agent sessions:');
    for (const a of agents)
      out.push(
        `  ${a.name.padEnd(24)} ${a.state.padEnd(12)} ${a.activityAt ? `output ${age(a.activityAt)} ago` : ''}${a.heartbeat ? `, gt call ${age(a.heartbeat)} ago` : ''}${a.drifted ? ', spec changed: cycles when idle' : ''}${a.restarts ? `, ${a.restarts} crash${a.restarts === 1 ? '' : 'es'}` : ''}`,
      );
  }
  // Objects without a section of their own (the Town, Plugins) are named only when not in sync.
  for (const obj of others) {
    out.push('', `${keyOf(obj.manifest)}: ${obj.sync.reason}`, ...obj.sync.pending.map((p) => `  ${p}`), ...obj.sync.findings.map((f) => `  ! ${f.code}: ${f.message}`));
  }
  for (const r of rigs) {
    out.push('', `Rig ${r.rig}: ${r.reason}${r.suspended ? ' [suspended]' : ''}`);
    for (const p of r.pending) out.push(`  ${p}`);
    out.push(`  workers ${r.workers.length}/${r.max}${r.breaker ? `   BREAKER OPEN since ${r.breaker.openedAt}: ${r.breaker.reason}` : ''}`);
    for (const w of r.workers)
      out.push(`    ${w.name.padEnd(10)} ${w.issue.padEnd(12)} ${(w.condition ? `${w.state} ${w.condition}` : w.state).padEnd(24)} ${w.age.padStart(4)}  ${w.lastOutput.slice(0, 60)}${counts(w)}`);
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

/** A worker's nudges and restarts, said only when there were any. */
function counts(w: { nudges: number; restarts: number }): string {
  const parts = [w.nudges ? `${w.nudges} nudge${w.nudges === 1 ? '' : 's'}` : '', w.restarts ? `${w.restarts} restart${w.restarts === 1 ? '' : 's'}` : ''].filter(Boolean);
  return parts.length ? `  (${parts.join(', ')})` : '';
}
