import { messageOf } from '../../engine/reconciler.js';
import { viewOf, sameFinding, type FindingCode, type FindingView } from '../../doctor/findings.js';
import { repair } from '../../doctor/fix.js';
import { examine, healthFindings, healthy } from '../../doctor/report.js';
import { keyOf } from '../../model/objects.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { lockTimeoutMs, outputFormat, print, printData, printResult, type GlobalOptions } from '../options.js';
import { reportJson, reportLines } from '../doctor-report.js';
import { passLines } from '../render.js';

export interface DoctorOptions {
  fix?: boolean;
  output?: string;
}

interface Repair {
  code: FindingCode;
  subject: string;
  result?: string;
  error?: string;
}

/**
 * `gt doctor`: the full diff plus health findings; exit 0 in sync and healthy, 1 not, 2 error.
 * `--fix`: one reconcile pass (the safe part of the plan, as gt run --once), then the safe repairs
 * under the town lock; then it looks again and lists what is left for a person.
 */
export async function doctorCommand(g: GlobalOptions, o: DoctorOptions): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  if (!o.fix) {
    const report = await examine(session);
    await printResult(format, reportJson(report), () => reportLines(report));
    return healthy(report) ? 0 : 1;
  }
  const before = (await healthFindings(session)).map(viewOf);
  const repairs: Repair[] = [];
  const outcomes = await session.reconciler.reconcileAll({ wait: { command: 'gt doctor --fix', waitMs: lockTimeoutMs(g) } });
  // The repairs are short (a stale lock, a torn inbox, a zombie session): under the town lock, the pass before is not.
  const lock = await session.lock('gt doctor --fix', lockTimeoutMs(g));
  try {
    // Judged again after the pass: it may have resolved some findings and changed others.
    for (const f of await healthFindings(session)) {
      const { code, subject } = viewOf(f);
      try {
        const result = await repair(session, f);
        if (result !== undefined) repairs.push({ code, subject, result });
      } catch (err) {
        repairs.push({ code, subject, error: messageOf(err) });
      }
    }
    await logRepairs(session, repairs);
  } finally {
    await lock.release();
  }
  const after = await examine(session);
  const left = after.findings.map(viewOf);
  const resolved = before.filter((b) => !left.some((a) => sameFinding(a, b)));
  const failedActions = outcomes.some((x) => x.failed);
  if (format !== 'text') {
    await printData(format, { ...reportJson(after), fixed: { outcomes, repairs, resolved } });
  } else {
    print(['Reconcile pass:', ...passLines(outcomes).map((l) => `  ${l}`), '']);
    print([...repairLines(repairs, resolved), '']);
    print(['Left for a person:', ...(healthy(after) ? ['  nothing: the town is in sync and healthy.'] : reportLines(after).map((l) => (l ? `  ${l}` : l)))]);
  }
  return healthy(after) && !failedActions ? 0 : 1;
}

/** Repairs go to the events log like the controllers' actions, so `what happened` has one place. */
async function logRepairs(session: TownSession, repairs: Repair[]): Promise<void> {
  const town = (await session.reconciler.loadWorld()).town;
  const key = town ? keyOf(town.manifest) : 'Town';
  await session.events.append(
    repairs.map((r) => {
      const action = { type: 'doctorRepair', code: r.code, subject: r.subject };
      const text = `gt doctor --fix: ${r.code} ${r.subject}`;
      return r.error === undefined ? { type: 'action', key, action, text: `${text} -> ${r.result}`, outcome: 'ok' } : { type: 'actionFailed', key, action, text, error: r.error };
    }),
  );
}

function repairLines(repairs: Repair[], resolved: FindingView[]): string[] {
  const out = ['Repairs:'];
  for (const r of repairs) out.push(r.error === undefined ? `  ${r.code} ${r.subject}: ${r.result}` : `  x ${r.code} ${r.subject}: not repaired: ${r.error}`);
  const byPass = resolved.filter((v) => !repairs.some((r) => r.code === v.code && r.subject === v.subject));
  for (const v of byPass) out.push(`  ${v.code} ${v.subject}: resolved`);
  if (out.length === 1) out.push('  none');
  return out;
}
