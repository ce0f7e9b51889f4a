import type { Issue } from '../../src/beads/record.js';

/**
 * How a swarm's issues are found again: by `external_ref`, never by title or id. The worker pool
 * relies on the same convention (maxParallel, suspend), so it is a contract:
 * the epic is `gt-swarm:<swarm>`, each task `gt-swarm:<swarm>/<taskId>`.
 */
export const SWARM_REF_PREFIX = 'gt-swarm:';

export function epicRef(swarm: string): string {
  return `${SWARM_REF_PREFIX}${swarm}`;
}

export function taskRef(swarm: string, task: string): string {
  return `${SWARM_REF_PREFIX}${swarm}/${task}`;
}

/** The swarm (and task) an external_ref names, or undefined when it is no swarm's. */
export function parseSwarmRef(ref: string | undefined): { swarm: string; task?: string } | undefined {
  if (!ref?.startsWith(SWARM_REF_PREFIX)) return undefined;
  const rest = ref.slice(SWARM_REF_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return rest ? { swarm: rest } : undefined;
  const swarm = rest.slice(0, slash);
  const task = rest.slice(slash + 1);
  return swarm && task && !task.includes('/') ? { swarm, task } : undefined;
}

/** Whether an issue belongs to this swarm (its epic or one of its tasks, also removed ones). */
export function belongsTo(swarm: string, issue: Issue): boolean {
  return parseSwarmRef(issue.external_ref)?.swarm === swarm;
}

/** Of several issues carrying one ref (made by hand, or by two writers), the one gt keeps using: the oldest. */
export function oldest(issues: readonly Issue[]): Issue | undefined {
  return [...issues].sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

/**
 * Why an issue has had work done on it, or undefined when it has not: only an open issue that was
 * never claimed (no assignee) and has no comment from a polecat may be closed without asking.
 */
export function workDone(issue: Issue): string | undefined {
  if (issue.status !== 'open') return `it is ${issue.status}`;
  if (issue.assignee) return `it is claimed by ${issue.assignee}`;
  const fromPolecats = (issue.comments ?? []).filter((c) => c.author.includes('/polecats/'));
  if (fromPolecats.length) return `it has ${fromPolecats.length} comment${fromPolecats.length === 1 ? '' : 's'} from ${[...new Set(fromPolecats.map((c) => c.author))].join(', ')}`;
  return undefined;
}
