/**
 * beads' on-disk issue record (one JSON object per line of `.beads/issues.jsonl`) and the typed
 * view gt works with. The raw record stays the source of truth: the view is derived from it and
 * every field gt does not know stays in the raw object, so a rewrite keeps it.
 */

export type RawRecord = Record<string, unknown>;

/** bd's built-in statuses; custom statuses (bd config status.custom) pass through as strings. */
export type IssueStatus = 'open' | 'in_progress' | 'blocked' | 'deferred' | 'closed' | 'pinned' | 'hooked' | (string & {});

/** The well-known dependency types; bd accepts any non-empty name up to 50 characters. */
export type DependencyType = 'blocks' | 'conditional-blocks' | 'waits-for' | 'parent-child' | 'related' | 'discovered-from' | (string & {});

/** "issue_id depends on depends_on_id": the edge is stored on the dependent (blocked) issue. */
export interface Dependency {
  issue_id: string;
  depends_on_id: string;
  type: DependencyType;
  /** Always written by gt and bd; absent only when read back from `bd show`, which omits it. */
  created_at?: string;
  /** waits-for gates keep their options here (a JSON string, or an object in some exports). */
  metadata?: unknown;
}

export interface Comment {
  /** bd wrote integer ids before v1.0 and string ids since; both are read as strings. */
  id: string;
  issue_id: string;
  author: string;
  text: string;
  created_at: string;
}

export interface Issue {
  id: string;
  title: string;
  description: string;
  status: IssueStatus;
  /** 0 (critical) to 4 (backlog). */
  priority: number;
  issue_type: string;
  assignee?: string;
  labels?: string[];
  created_at: string;
  updated_at: string;
  closed_at?: string;
  close_reason?: string;
  external_ref?: string;
  defer_until?: string;
  /** A persistent context marker, never work: bd ready leaves it out. */
  pinned?: boolean;
  /** A wisp (a molecule step, a patrol's scratch bead): bd ready leaves it out unless --include-ephemeral. */
  ephemeral?: boolean;
  dependencies: Dependency[];
  comments?: Comment[];
}

/** What a line holds, as bd itself tells them apart. */
export type RecordKind = 'issue' | 'tombstone' | 'other';

export function recordKind(raw: RawRecord): RecordKind {
  // Current bd tags every line (`issue`, `memory`, …); older exports tag only the memories.
  if ('_schema' in raw) return 'other';
  if (raw._type !== undefined && raw._type !== 'issue') return 'other';
  return raw.status === 'tombstone' ? 'tombstone' : 'issue';
}

const OPTIONAL_TEXT = ['closed_at', 'close_reason', 'external_ref', 'defer_until'] as const;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const optStr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function issueFromRecord(raw: RawRecord): Issue {
  const id = str(raw.id);
  const issue: Issue = {
    id,
    title: str(raw.title),
    description: str(raw.description),
    // bd fills these defaults on import (types.Issue.SetDefaults) because newer exports omit them.
    status: optStr(raw.status) ?? 'open',
    priority: priorityOf(raw.priority),
    issue_type: optStr(raw.issue_type) ?? 'task',
    created_at: str(raw.created_at),
    updated_at: str(raw.updated_at),
    dependencies: Array.isArray(raw.dependencies) ? dependenciesOf(raw.dependencies, id) : [],
  };
  const assignee = optStr(raw.assignee);
  if (assignee !== undefined) issue.assignee = assignee;
  if (Array.isArray(raw.labels)) issue.labels = raw.labels.filter((l): l is string => typeof l === 'string');
  for (const key of OPTIONAL_TEXT) {
    const v = optStr(raw[key]);
    if (v !== undefined) issue[key] = v;
  }
  if (raw.pinned === true) issue.pinned = true;
  if (raw.ephemeral === true) issue.ephemeral = true;
  if (Array.isArray(raw.comments)) issue.comments = raw.comments.flatMap((c) => commentOf(c, id));
  return issue;
}

/** A hand-written line without a priority is read as bd's default for new issues. */
function priorityOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 2;
}

function dependenciesOf(list: unknown[], issueId: string): Dependency[] {
  const deps: Dependency[] = [];
  for (const v of list) {
    if (typeof v !== 'object' || v === null) continue;
    const d = v as RawRecord;
    const dependsOn = str(d.depends_on_id);
    if (dependsOn === '') continue;
    const dep: Dependency = { issue_id: optStr(d.issue_id) ?? issueId, depends_on_id: dependsOn, type: optStr(d.type) ?? 'blocks' };
    const created = optStr(d.created_at);
    if (created !== undefined) dep.created_at = created;
    if (d.metadata !== undefined && d.metadata !== '') dep.metadata = d.metadata;
    deps.push(dep);
  }
  return deps;
}

function commentOf(v: unknown, issueId: string): Comment[] {
  if (typeof v !== 'object' || v === null) return [];
  const c = v as RawRecord;
  const id = typeof c.id === 'number' ? String(c.id) : str(c.id);
  return [{ id, issue_id: optStr(c.issue_id) ?? issueId, author: str(c.author), text: str(c.text), created_at: str(c.created_at) }];
}

export interface NewIssueFields {
  id: string;
  title: string;
  description: string;
  priority: number;
  issueType: string;
  assignee?: string;
  labels: string[];
  externalRef?: string;
  dependencies: Dependency[];
  now: string;
  /** Whether the file's issue lines carry `_type` (current bd exports do); new lines follow the file. */
  typeTag: boolean;
}

/** A new record with bd's field order (types.Issue), leaving out what bd leaves out when empty. */
export function newIssueRecord(f: NewIssueFields): RawRecord {
  const raw: RawRecord = f.typeTag ? { _type: 'issue' } : {};
  raw.id = f.id;
  raw.title = f.title;
  if (f.description !== '') raw.description = f.description;
  raw.status = 'open';
  raw.priority = f.priority;
  raw.issue_type = f.issueType;
  if (f.assignee) raw.assignee = f.assignee;
  raw.created_at = f.now;
  raw.updated_at = f.now;
  if (f.externalRef) raw.external_ref = f.externalRef;
  if (f.labels.length > 0) raw.labels = [...f.labels];
  if (f.dependencies.length > 0) raw.dependencies = f.dependencies.map(dependencyRecord);
  return raw;
}

export function dependencyRecord(d: Dependency): RawRecord {
  return { issue_id: d.issue_id, depends_on_id: d.depends_on_id, type: d.type, created_at: d.created_at };
}
