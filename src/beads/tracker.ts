import type { DependencyType, Issue, IssueStatus } from './record.js';

export type { Comment, Dependency, DependencyType, Issue, IssueStatus } from './record.js';

export interface IssueFilter {
  /** One status or any of several. */
  status?: IssueStatus | IssueStatus[];
  type?: string;
  assignee?: string;
  /** Issues carrying this label. */
  label?: string;
  /** Direct children of this issue (parent-child dependencies). */
  parent?: string;
}

export interface CreateIssueInput {
  title: string;
  description?: string;
  /** 0 (critical) to 4 (backlog); 2 when left out, as in bd. */
  priority?: number;
  /** bd's issue_type; `task` when left out. */
  type?: string;
  labels?: string[];
  assignee?: string;
  externalRef?: string;
  /** Makes the new issue a child of this one. */
  parent?: string;
  /** Issues that must close before this one is ready. */
  blockedBy?: string[];
}

export interface IssuePatch {
  status?: IssueStatus;
  /** null removes the assignee. */
  assignee?: string | null;
  title?: string;
  description?: string;
  priority?: number;
  /** Replaces the labels. */
  labels?: string[];
}

/**
 * A rig's issue tracker, whichever store holds it. Every method answers with typed issues, and
 * every refusal (unknown id, an issue claimed by someone else, a bad value) is a GtFailure whose
 * message names the issue and the reason.
 */
export interface IssueTracker {
  readonly backend: 'jsonl' | 'bd';
  list(filter?: IssueFilter): Promise<Issue[]>;
  get(id: string): Promise<Issue | undefined>;
  /** What `bd ready` offers: open, unblocked, not deferred, highest priority then oldest first. */
  ready(): Promise<Issue[]>;
  create(input: CreateIssueInput): Promise<Issue>;
  update(id: string, patch: IssuePatch): Promise<Issue>;
  /** Takes a ready issue for `assignee` (status in_progress); a no-op if they already hold it. */
  claim(id: string, assignee: string): Promise<Issue>;
  close(id: string, reason: string): Promise<Issue>;
  reopen(id: string, reason: string): Promise<Issue>;
  addComment(id: string, author: string, text: string): Promise<Issue>;
  /** `issueId` depends on `dependsOnId` (for `blocks`: is blocked by it). */
  addDependency(issueId: string, dependsOnId: string, type: DependencyType): Promise<Issue>;
  /**
   * Many changes written together: `work` makes them through `tx`, which also answers reads
   * with them applied. The embedded tracker takes its lock once and writes the file once, at
   * the end (20,000 creates are one rewrite, not 20,000); what `work` did before a failure is
   * written too, as separate calls would have left it. bd has no batch: its `tx` is the tracker.
   * Issues kept on a repository's branch run `work` again on the branch's new version when a push
   * finds it moved: `work` must start from what `tx` says, not from what an earlier run left.
   */
  batch<T>(work: (tx: IssueTracker) => Promise<T>): Promise<T>;
}
