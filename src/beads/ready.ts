import type { Dependency, Issue } from './record.js';
import { timestampMs } from './time.js';

// The rules mirror bd's ready-work query as read in steveyegge/beads (bd 1.x): the predicates of
// internal/storage/db's buildReadyWorkPredicates (status, pinned, ephemeral, the excluded types,
// defer_until and the children of deferred parents, is_blocked = 0), the `bd ready` command's
// filter (status "open" only, cmd/bd/ready.go), and how is_blocked is kept
// (internal/storage/issueops/blocked_state.go @1ae50c16, markBlockedTemplateForIssues).

/** Workflow plumbing rather than claimable work; bd's ready query leaves these types out (readyWorkExcludeTypes). */
const NOT_WORK = new Set(['merge-request', 'gate', 'molecule', 'message', 'agent', 'role', 'rig']);
const BLOCKING = new Set(['blocks', 'conditional-blocks']);

type Cause = { blocker: string } | { parent: string } | { spawner: string };

/**
 * What `bd ready` computes, over issues held in memory. Built once in O(issues + dependencies):
 * the directly blocked issues are found first, then blocking is pushed down parent-child edges
 * breadth-first (bd's is_blocked: an active issue whose parent is blocked is blocked), so a
 * dependency cycle cannot loop and a deep hierarchy cannot overflow a stack.
 */
export class Readiness {
  private readonly byId = new Map<string, Issue>();
  private readonly childrenOf = new Map<string, string[]>();
  private readonly blocked = new Map<string, Cause>();
  private readonly deferredParentOf = new Map<string, string>();
  private readonly nowMs: number;

  constructor(issues: readonly Issue[], now: Date) {
    this.nowMs = now.getTime();
    for (const issue of issues) this.byId.set(issue.id, issue);
    for (const issue of this.byId.values()) {
      for (const d of issue.dependencies) {
        if (d.type !== 'parent-child') continue;
        const children = this.childrenOf.get(d.depends_on_id);
        if (children) children.push(issue.id);
        else this.childrenOf.set(d.depends_on_id, [issue.id]);
      }
    }
    this.findBlocked();
    this.findChildrenOfDeferred();
  }

  /** undefined when the issue is ready; otherwise why not, for an error message. */
  whyNotReady(id: string): string | undefined {
    const issue = this.byId.get(id);
    if (!issue) return `${id} does not exist`;
    if (issue.status !== 'open') return `${id} is ${issue.status}, not open`;
    if (NOT_WORK.has(issue.issue_type)) return `${id} is a ${issue.issue_type}, not work`;
    if (issue.pinned) return `${id} is pinned`;
    if (issue.ephemeral) return `${id} is ephemeral (a wisp)`;
    if (this.deferred(issue)) return `${id} is deferred until ${issue.defer_until}`;
    const parent = this.deferredParentOf.get(id);
    if (parent !== undefined) return `${id} belongs to ${parent}, which is deferred until ${this.byId.get(parent)?.defer_until}`;
    const cause = this.blocked.get(id);
    if (cause === undefined) return undefined;
    if ('blocker' in cause) return `${id} is blocked by ${cause.blocker} (${this.byId.get(cause.blocker)?.status})`;
    if ('spawner' in cause) return `${id} waits for the children of ${cause.spawner}`;
    return `${id} is blocked because its parent ${cause.parent} is blocked`;
  }

  ready(): Issue[] {
    const ready: Issue[] = [];
    for (const issue of this.byId.values()) if (this.isReady(issue)) ready.push(issue);
    return inWorkOrder(ready);
  }

  private isReady(issue: Issue): boolean {
    return (
      issue.status === 'open' &&
      !NOT_WORK.has(issue.issue_type) &&
      issue.pinned !== true &&
      // Wisps (molecule steps and other ephemeral beads) are left out unless bd ready --include-ephemeral.
      issue.ephemeral !== true &&
      !this.blocked.has(issue.id) &&
      !this.deferred(issue) &&
      !this.deferredParentOf.has(issue.id)
    );
  }

  private deferred(issue: Issue): boolean {
    return issue.defer_until !== undefined && timestampMs(issue.defer_until) > this.nowMs;
  }

  private active(id: string): boolean {
    const issue = this.byId.get(id);
    return issue !== undefined && holdsUp(issue);
  }

  private findBlocked(): void {
    const queue: string[] = [];
    for (const issue of this.byId.values()) {
      if (!holdsUp(issue)) continue;
      const cause = this.directCause(issue.dependencies);
      if (cause) {
        this.blocked.set(issue.id, cause);
        queue.push(issue.id);
      }
    }
    // A blocked epic holds back its subtree. bd never marks a closed or pinned issue blocked, so
    // the blocking stops there: what hangs below a closed child is not held back by the epic.
    for (let i = 0; i < queue.length; i++) {
      const parent = queue[i]!;
      for (const child of this.childrenOf.get(parent) ?? []) {
        if (this.blocked.has(child) || !this.active(child)) continue;
        this.blocked.set(child, { parent });
        queue.push(child);
      }
    }
  }

  private directCause(deps: readonly Dependency[]): Cause | undefined {
    for (const d of deps) {
      // A blocker missing from the file (deleted, or an `external:` reference) blocks nothing, as in bd.
      if (BLOCKING.has(d.type) && this.active(d.depends_on_id)) return { blocker: d.depends_on_id };
      if (d.type === 'waits-for' && this.gateHolds(d)) return { spawner: d.depends_on_id };
    }
    return undefined;
  }

  /** A fan-out gate: wait for all children of the spawner to close, or for the first one. */
  private gateHolds(d: Dependency): boolean {
    const children = this.childrenOf.get(d.depends_on_id) ?? [];
    if (waitsForAny(d.metadata)) {
      return children.some((c) => this.active(c)) && !children.some((c) => this.byId.get(c)?.status === 'closed');
    }
    return children.some((c) => this.active(c));
  }

  /** bd hides the direct children of a deferred issue along with it, whatever the parent's status (getChildrenOfDeferredParents). */
  private findChildrenOfDeferred(): void {
    for (const issue of this.byId.values()) {
      if (!this.deferred(issue)) continue;
      for (const child of this.childrenOf.get(issue.id) ?? []) this.deferredParentOf.set(child, issue.id);
    }
  }
}

/** bd counts an issue as holding others up until it is closed (or pinned, which is no work): `status NOT IN ('closed', 'pinned')`. */
function holdsUp(issue: Issue): boolean {
  return issue.status !== 'closed' && issue.status !== 'pinned';
}

/** The gate kind lives in the dependency's metadata; anything unreadable means all-children, as in bd. */
function waitsForAny(metadata: unknown): boolean {
  let meta = metadata;
  if (typeof meta === 'string') {
    try {
      meta = JSON.parse(meta);
    } catch {
      return false;
    }
  }
  return typeof meta === 'object' && meta !== null && (meta as { gate?: unknown }).gate === 'any-children';
}

/** Highest priority first (0 is critical), then oldest, then by id, so the order is total. */
export function inWorkOrder(issues: readonly Issue[]): Issue[] {
  const ranked = issues.map((issue) => {
    const created = timestampMs(issue.created_at);
    // An unreadable creation time sorts last rather than poisoning the comparison with NaN.
    return { issue, priority: issue.priority, created: Number.isNaN(created) ? Number.MAX_VALUE : created, id: issue.id };
  });
  ranked.sort((a, b) => a.priority - b.priority || a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ranked.map((r) => r.issue);
}

/** The issues `bd ready` would offer, in the order an agent should take them. */
export function readyIssues(issues: readonly Issue[], now: Date): Issue[] {
  return new Readiness(issues, now).ready();
}

/**
 * What gt may hand to a polecat: the ready set minus the issues already claimed. bd ready offers
 * an open issue that has an assignee (only `bd ready --unassigned` would not), but a claim by a
 * person or another tool is theirs; `mine` says which assignees are gt's own (work the merge queue
 * sent back to the polecat that did it). The order of `ready` is kept.
 */
export function dispatchable(ready: readonly Issue[], mine: (assignee: string) => boolean): Issue[] {
  return ready.filter((issue) => issue.assignee === undefined || mine(issue.assignee));
}
