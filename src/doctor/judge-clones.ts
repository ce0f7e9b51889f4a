import { sameRemote } from '../adapters/git.js';
import type { Rig } from '../model/objects.js';
import { unsafeToDelete } from '../policy/clone-safety.js';
import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/**
 * Clones pointing elsewhere, polecats on the wrong branch, and work left in the clones of
 * polecats that no worker owns any more (a worker released while its clone held work).
 */
export function judgeClones(f: DoctorFacts): HealthFinding[] {
  const gitUrl = new Map(f.world.objects.filter((o) => o.manifest.kind === 'Rig').map((o) => [o.manifest.metadata.name, (o.manifest as Rig).spec.gitUrl]));
  const out: HealthFinding[] = [];
  for (const c of f.clones) {
    const expected = gitUrl.get(c.rig);
    if (c.state.state !== 'repo' || expected === undefined) continue;
    if (!sameRemote(c.state.remoteUrl, expected)) out.push({ code: 'GT-CLONE-REMOTE', clone: c.path, actual: c.state.remoteUrl, expected });
    if (c.role !== 'polecat') continue;
    const record = (f.workers[c.rig] ?? []).find((r) => r.name === c.polecat);
    if (!record) {
      const holds = unsafeToDelete(c.state);
      if (holds) out.push({ code: 'GT-DIRTY-FINISHED-CLONE', clone: c.path, holds });
      continue;
    }
    // A worker still starting has not checked its branch out yet: the spawn does that.
    if (record.state !== 'starting' && c.state.work && c.state.work.branch !== record.branch) {
      out.push({ code: 'GT-CLONE-BRANCH', clone: c.path, polecat: record.name, actual: c.state.work.branch, expected: record.branch });
    }
  }
  return out;
}
