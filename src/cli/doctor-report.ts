// How gt doctor's report reads, as text and as JSON.
import { viewOf, type FindingView } from '../doctor/findings.js';
import { healthy, type DoctorReport } from '../doctor/report.js';
import { planJson, planLines, summarize, summaryLine } from './render.js';

export function reportLines(r: DoctorReport): string[] {
  return [...planLines(r.plans), summaryLine(summarize([], r.plans)), '', ...healthLines(r.findings.map(viewOf))];
}

function healthLines(views: FindingView[]): string[] {
  if (!views.length) return ['Health: no findings.'];
  const fixable = views.filter((v) => v.fixable).length;
  return [
    `Health: ${views.length} finding${views.length === 1 ? '' : 's'}${fixable ? `, ${fixable} repaired by gt doctor --fix` : ''}:`,
    ...views.flatMap((v) => [`  ! ${v.code} [${v.severity}] ${v.subject}`, `      ${v.message}`, `      fix: ${v.fix}`]),
  ];
}

/** The JSON form: plans as gt diff -o json shows them, findings as FindingView. */
export function reportJson(r: DoctorReport) {
  return {
    town: r.town,
    inSync: r.inSync,
    healthy: healthy(r),
    plans: r.plans.map(planJson),
    findings: r.findings.map(viewOf),
  };
}
