import { isConditionCode, splitFix } from '../agents/screens.js';
import { agentFingerprint, openBreaker } from '../workers/breaker.js';
import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/**
 * Every finding of every controller's plan (what gt diff prints with `!`), as a class: a code
 * with a doctor finding of its own is said by it, every other one is GT-STALLED with its fix;
 * an object that could not be observed, or whose last action failed, is GT-ACTION-FAILED.
 */
export function judgePlans(f: DoctorFacts, others: readonly HealthFinding[]): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const p of f.plans) {
    if (p.error) out.push({ code: 'GT-ACTION-FAILED', object: p.key, controller: p.controller, error: p.error });
    for (const x of p.findings) {
      if (x.code === 'AgentCommandMissing') out.push({ code: 'GT-AGENT-COMMAND-MISSING', object: p.key, message: x.message });
      else if (isConditionCode(x.code)) out.push({ code: 'GT-AGENT-CONDITION', object: p.key, condition: x.code, ...splitFix(x.message) });
      else if (x.code === 'CloneFailing') out.push({ code: 'GT-CLONE-FAILING', object: p.key, message: x.message });
      else if (!saidElsewhere(others, p.key, x.code)) {
        const since = f.stalled.find((s) => s.key === p.key && s.condition.reason === x.code)?.condition.lastTransitionTime;
        out.push({ code: 'GT-STALLED', object: p.key, reason: x.code, message: x.message, ...(since ? { since } : {}) });
      }
    }
  }
  for (const x of f.failures) {
    // A failed clone the plan already backs off from: GT-CLONE-FAILING says it with the next attempt.
    const backingOff = f.plans.some((p) => p.key === x.key && p.controller === x.controller && p.findings.some((y) => y.code === 'CloneFailing'));
    if (!backingOff && !out.some((o) => o.code === 'GT-ACTION-FAILED' && o.object === x.key && o.controller === x.controller))
      out.push({ code: 'GT-ACTION-FAILED', object: x.key, controller: x.controller, error: x.error, ...(x.nextAttemptAt ? { nextAttemptAt: x.nextAttemptAt } : {}) });
  }
  return out;
}

/** Controller findings that another doctor judge reports with more to say (the same fact, said once). */
function saidElsewhere(others: readonly HealthFinding[], key: string, code: string): boolean {
  const rig = key.startsWith('Rig/') ? key.slice('Rig/'.length) : undefined;
  if (code === 'BreakerOpen') return others.some((o) => o.code === 'GT-BREAKER-OPEN' && o.rig === rig);
  if (code === 'CloneRemoteMismatch') return others.some((o) => o.code === 'GT-CLONE-REMOTE' && o.clone.startsWith(`${rig}/`));
  if (code === 'IssueBlocked') return others.some((o) => o.code === 'GT-ISSUE-BLOCKED' && o.rig === rig);
  if (code === 'BeadsBdNotOnPath') return others.some((o) => o.code === 'GT-BEADS-BD-MISSING' && o.rig === rig);
  return false;
}

/** Open circuit breakers, and objects Stalled under their current spec. */
export function judgeObjects(f: DoctorFacts): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const o of f.world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const name = o.manifest.metadata.name;
    // A breaker opened under an older spec or agent no longer holds dispatch (a change re-arms it).
    const breaker = f.pools[name] && openBreaker(f.pools[name], o.generation, agentFingerprint(f.world.town?.manifest, o.manifest));
    if (breaker) out.push({ code: 'GT-BREAKER-OPEN', rig: name, reason: breaker.reason, openedAt: breaker.openedAt });
  }
  for (const s of f.stalled) {
    // Stalled "until the spec changes": a condition written for an older generation is over.
    if (s.condition.observedGeneration !== s.generation) continue;
    // The breaker stalls its rig too; GT-BREAKER-OPEN already says it with what to do.
    if (s.condition.reason === 'BreakerOpen' && out.some((x) => x.code === 'GT-BREAKER-OPEN' && `Rig/${x.rig}` === s.key)) continue;
    // A blocked issue stalls its rig's merge queue status; GT-ISSUE-BLOCKED says it per issue.
    if (s.condition.reason === 'IssueBlocked' && f.blockedIssues.some((b) => `Rig/${b.rig}` === s.key)) continue;
    // A controller's finding stalls its object too; the plan's own finding says it (judgePlans).
    if (f.plans.some((p) => p.key === s.key && p.findings.some((x) => x.code === s.condition.reason))) continue;
    out.push({ code: 'GT-STALLED', object: s.key, reason: s.condition.reason, message: s.condition.message, since: s.condition.lastTransitionTime });
  }
  return out;
}
