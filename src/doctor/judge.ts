import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';
import { judgeBudgets } from './judge-budgets.js';
import { judgeClones } from './judge-clones.js';
import { judgeFiles } from './judge-files.js';
import { judgeObjects, judgePlans } from './judge-objects.js';
import { judgeSessions, judgeTmuxServer } from './judge-sessions.js';

/** Pure: every health finding the facts show, the town-wide ones first. */
export function judgeHealth(f: DoctorFacts): HealthFinding[] {
  const objects = [...judgeObjects(f), ...judgeBudgets(f)];
  const rest = [...judgeSessions(f), ...judgeClones(f), ...judgeFiles(f)];
  return [...judgeTmuxServer(f), ...objects, ...judgePlans(f, [...objects, ...rest]), ...rest];
}
