import type { Rig } from '../model/objects.js';
import { agentFingerprint, openBreaker } from '../workers/breaker.js';
import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/** Open circuit breakers, and objects Stalled under their current spec. */
export function judgeObjects(f: DoctorFacts): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const o of f.world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const name = o.manifest.metadata.name;
    // A breaker opened under an older spec or agent no longer holds dispatch (a change re-arms it).
    const breaker = f.pools[name] && openBreaker(f.pools[name], o.generation, agentFingerprint(f.world.town?.manifest, o.manifest as Rig));
    if (breaker) out.push({ code: 'GT-BREAKER-OPEN', rig: name, reason: breaker.reason, openedAt: breaker.openedAt });
  }
  for (const s of f.stalled) {
    // Stalled "until the spec changes": a condition written for an older generation is over.
    if (s.condition.observedGeneration !== s.generation) continue;
    // The breaker stalls its rig too; GT-BREAKER-OPEN already says it with what to do.
    if (s.condition.reason === 'BreakerOpen' && out.some((x) => x.code === 'GT-BREAKER-OPEN' && `Rig/${x.rig}` === s.key)) continue;
    // A blocked issue stalls its rig's merge queue status; GT-ISSUE-BLOCKED says it per issue.
    if (s.condition.reason === 'IssueBlocked' && f.blockedIssues.some((b) => `Rig/${b.rig}` === s.key)) continue;
    out.push({ code: 'GT-STALLED', object: s.key, reason: s.condition.reason, message: s.condition.message, since: s.condition.lastTransitionTime });
  }
  return out;
}
