import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/** Work gt stopped retrying because its budget is spent: left for a person. */
export function judgeBudgets(f: DoctorFacts): HealthFinding[] {
  return f.blockedIssues.map((b) => ({ code: 'GT-ISSUE-BLOCKED', rig: b.rig, issueId: b.issueId, rejections: b.rejections, reason: b.reason, blockedAt: b.blockedAt }));
}
