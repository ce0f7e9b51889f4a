import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/** What the controllers' plans say waits on a person, as doctor findings. */
export function judgePlans(f: DoctorFacts): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const p of f.plans) {
    for (const x of p.findings) {
      if (x.code === 'AgentCommandMissing') out.push({ code: 'GT-AGENT-COMMAND-MISSING', object: p.key, message: x.message });
    }
  }
  return out;
}

/** Open circuit breakers, and objects Stalled under their current spec. */
export function judgeObjects(f: DoctorFacts): HealthFinding[] {
  const out: HealthFinding[] = [];
  for (const o of f.world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const name = o.manifest.metadata.name;
    const breaker = f.pools[name]?.breaker;
    // A breaker opened under an older spec no longer holds dispatch (a spec change re-arms it).
    if (breaker && breaker.generation === o.generation) out.push({ code: 'GT-BREAKER-OPEN', rig: name, reason: breaker.reason, openedAt: breaker.openedAt });
  }
  for (const s of f.stalled) {
    // Stalled "until the spec changes": a condition written for an older generation is over.
    if (s.condition.observedGeneration !== s.generation) continue;
    // The breaker stalls its rig too; GT-BREAKER-OPEN already says it with what to do.
    if (s.condition.reason === 'BreakerOpen' && out.some((x) => x.code === 'GT-BREAKER-OPEN' && `Rig/${x.rig}` === s.key)) continue;
    // A controller's finding stalls its object too; the plan's own finding says it (judgePlans).
    if (f.plans.some((p) => p.key === s.key && p.findings.some((x) => x.code === s.condition.reason))) continue;
    out.push({ code: 'GT-STALLED', object: s.key, reason: s.condition.reason, message: s.condition.message, since: s.condition.lastTransitionTime });
  }
  return out;
}
