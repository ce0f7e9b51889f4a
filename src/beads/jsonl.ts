import { randomUUID } from 'node:crypto';
import { fail } from '../errors.js';
import { checkPrefix, newIssueId } from './ids.js';
import { appendIssue, fileIssues, updateRecord, type BeadsFile, type IssueLine } from './jsonl-file.js';
import { Readiness, readyIssues } from './ready.js';
import { dependencyRecord, newIssueRecord, type Dependency, type DependencyType, type Issue, type RawRecord } from './record.js';
import { checkClaim, checkCreate, checkDependencyType, checkPatch, matchesFilter } from './rules.js';
import { formatTimestamp } from './time.js';
import { FileStorage, type BeadsStorage, type Describe } from './storage.js';
import type { CreateIssueInput, IssueFilter, IssuePatch, IssueTracker } from './tracker.js';

export interface JsonlTrackerOptions {
  prefix: string;
  /** Author of the comments gt writes itself (reopen reasons), as bd uses its actor. */
  actor?: string;
  /** How long a mutation waits for another writer's lock. */
  lockTimeoutMs?: number;
  /** The clock; tests pin it. */
  now?: () => Date;
  /** Where the file lives; `<beadsDir>/issues.jsonl` when left out. */
  storage?: BeadsStorage;
}

/** Dependency types that order work, which must not form a cycle. */
const ORDERING: ReadonlySet<string> = new Set(['blocks', 'conditional-blocks', 'waits-for', 'parent-child']);

/**
 * The embedded tracker: an issues.jsonl in bd's own format, in `<beadsDir>` or wherever its
 * storage keeps it (storage.ts). Every change is a read-modify-write of the whole file with no
 * other writer in between, so none loses another's change. A file that does not parse is
 * reported by line and never written.
 */
export class JsonlTracker implements IssueTracker {
  readonly backend = 'jsonl';
  private readonly storage: BeadsStorage;
  private readonly prefix: string;
  private readonly actor: string;
  private readonly lockTimeoutMs: number;
  private readonly now: () => Date;
  /** Set on the tracker a batch hands to its work: the file as read under the lock, changed in memory. */
  private pending: BeadsFile | undefined;

  constructor(
    private readonly beadsDir: string,
    opts: JsonlTrackerOptions,
  ) {
    checkPrefix(opts.prefix);
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
    this.storage = opts.storage ?? new FileStorage(beadsDir, this.lockTimeoutMs);
    this.prefix = opts.prefix;
    this.actor = opts.actor ?? 'gt';
    this.now = opts.now ?? (() => new Date());
  }

  async list(filter: IssueFilter = {}): Promise<Issue[]> {
    return fileIssues(await this.read()).filter((i) => matchesFilter(i, filter));
  }

  async get(id: string): Promise<Issue | undefined> {
    return (await this.read()).byId.get(id)?.issue;
  }

  async ready(): Promise<Issue[]> {
    return readyIssues(fileIssues(await this.read()), this.now());
  }

  async create(input: CreateIssueInput): Promise<Issue> {
    checkCreate(input);
    let created = '';
    return this.mutate(
      () => `create ${created}: ${input.title}`,
      (file, now, stamp) => {
        if (input.parent !== undefined) requireEntry(file, input.parent);
        const blockers = [...new Set(input.blockedBy ?? [])];
        for (const b of blockers) if (!isExternal(b)) requireEntry(file, b);
        const id = newIssueId(this.prefix, input.title, now, file.takenIds);
        created = id;
        const deps: Dependency[] = [];
        if (input.parent !== undefined) deps.push({ issue_id: id, depends_on_id: input.parent, type: 'parent-child', created_at: stamp });
        for (const b of blockers) deps.push({ issue_id: id, depends_on_id: b, type: 'blocks', created_at: stamp });
        const raw = newIssueRecord({
          id,
          title: input.title,
          description: input.description ?? '',
          priority: input.priority ?? 2,
          issueType: input.type ?? 'task',
          assignee: input.assignee,
          labels: input.labels ?? [],
          externalRef: input.externalRef,
          dependencies: deps,
          now: stamp,
          typeTag: file.typeTag,
        });
        return appendIssue(file, raw).issue;
      },
    );
  }

  async update(id: string, patch: IssuePatch): Promise<Issue> {
    checkPatch(patch);
    return this.mutate(`update ${id}`, (file, _now, stamp) => {
      const entry = requireEntry(file, id);
      const fields: Record<string, unknown> = { updated_at: stamp };
      if (patch.title !== undefined) fields.title = patch.title;
      // Empty values are left out, as bd's omitempty fields are.
      if (patch.description !== undefined) fields.description = patch.description === '' ? undefined : patch.description;
      if (patch.priority !== undefined) fields.priority = patch.priority;
      if (patch.labels !== undefined) fields.labels = patch.labels.length === 0 ? undefined : [...patch.labels];
      if (patch.assignee !== undefined) fields.assignee = patch.assignee ?? undefined;
      if (patch.status !== undefined) Object.assign(fields, statusFields(entry.issue, patch.status, stamp));
      return updateRecord(file, entry, fields);
    });
  }

  async claim(id: string, assignee: string): Promise<Issue> {
    return this.mutate(`claim ${id} for ${assignee}`, async (file, now, stamp) => {
      const entry = file.byId.get(id);
      const held = await checkClaim(id, entry?.issue, assignee, () => Promise.resolve(new Readiness(fileIssues(file), now).whyNotReady(id)));
      if (held) return entry!.issue;
      return updateRecord(file, entry!, { status: 'in_progress', assignee, updated_at: stamp });
    });
  }

  async close(id: string, reason: string): Promise<Issue> {
    return this.mutate(`close ${id}`, (file, _now, stamp) => {
      const entry = requireEntry(file, id);
      if (entry.issue.status === 'closed') fail({ kind: 'conflict', message: `cannot close ${id}: already closed at ${entry.issue.closed_at}` });
      return updateRecord(file, entry, { ...statusFields(entry.issue, 'closed', stamp), close_reason: reason === '' ? undefined : reason, updated_at: stamp });
    });
  }

  /** As `bd reopen`: open again, no longer deferred, and the reason kept as a comment. */
  async reopen(id: string, reason: string): Promise<Issue> {
    return this.mutate(`reopen ${id}`, (file, _now, stamp) => {
      const entry = requireEntry(file, id);
      if (entry.issue.status !== 'closed') fail({ kind: 'conflict', message: `cannot reopen ${id}: it is ${entry.issue.status}, not closed` });
      const fields: Record<string, unknown> = { ...statusFields(entry.issue, 'open', stamp), defer_until: undefined, updated_at: stamp };
      if (reason !== '') fields.comments = [...rawList(entry.raw.comments), commentRecord(id, this.actor, reason, stamp)];
      return updateRecord(file, entry, fields);
    });
  }

  async addComment(id: string, author: string, text: string): Promise<Issue> {
    if (text.trim() === '') fail({ kind: 'usage', message: 'a comment needs text' });
    return this.mutate(`comment on ${id}`, (file, _now, stamp) => {
      const entry = requireEntry(file, id);
      const comments = [...rawList(entry.raw.comments), commentRecord(id, author, text, stamp)];
      return updateRecord(file, entry, { comments, updated_at: stamp });
    });
  }

  async addDependency(issueId: string, dependsOnId: string, type: DependencyType): Promise<Issue> {
    checkDependencyType(type);
    if (issueId === dependsOnId) fail({ kind: 'usage', message: `${issueId} cannot depend on itself` });
    return this.mutate(`${issueId} depends on ${dependsOnId} (${type})`, (file, _now, stamp) => {
      const entry = requireEntry(file, issueId);
      if (!isExternal(dependsOnId)) requireEntry(file, dependsOnId);
      const existing = entry.issue.dependencies.some((d) => d.depends_on_id === dependsOnId && d.type === type);
      if (existing) return entry.issue;
      if (ORDERING.has(type) && reaches(file, dependsOnId, issueId)) {
        fail({ kind: 'conflict', message: `${issueId} → ${dependsOnId} (${type}) would close a dependency cycle` });
      }
      const dep = dependencyRecord({ issue_id: issueId, depends_on_id: dependsOnId, type, created_at: stamp });
      return updateRecord(file, entry, { dependencies: [...rawList(entry.raw.dependencies), dep], updated_at: stamp });
    });
  }

  async batch<T>(work: (tx: IssueTracker) => Promise<T>): Promise<T> {
    if (this.pending) return work(this);
    return this.storage.write(
      'a batch of changes',
      async (file) => {
        const tx = new JsonlTracker(this.beadsDir, { prefix: this.prefix, actor: this.actor, lockTimeoutMs: this.lockTimeoutMs, now: strictlyLater(this.now), storage: this.storage });
        tx.pending = file;
        try {
          return await work(tx);
        } finally {
          tx.pending = undefined; // a tx kept by mistake must not write into a file already written
        }
      },
      true,
    );
  }

  private async read(): Promise<BeadsFile> {
    return this.pending ?? this.storage.read();
  }

  private async mutate<T>(what: Describe, change: (file: BeadsFile, now: Date, stamp: string) => T | Promise<T>): Promise<T> {
    const stamped = (file: BeadsFile) => {
      const now = this.now();
      return change(file, now, formatTimestamp(now));
    };
    return this.pending ? stamped(this.pending) : this.storage.write(what, stamped, false);
  }
}

/**
 * A clock whose every reading is later than the one before: a batch creates its issues within
 * one millisecond, and bd's work order (priority, then creation time) must then follow the
 * order they were created in (a Swarm's manifest order), not their random ids.
 */
function strictlyLater(clock: () => Date): () => Date {
  let last = -Infinity;
  return () => {
    last = Math.max(clock().getTime(), last + 1);
    return new Date(last);
  };
}

function requireEntry(file: BeadsFile, id: string): IssueLine {
  const entry = file.byId.get(id);
  return entry ?? fail({ kind: 'notFound', message: `issue ${id} not found in ${file.path}` });
}

const isExternal = (id: string) => id.startsWith('external:');

/** `closed_at` is present exactly while the status is closed, as bd's validation requires. */
function statusFields(issue: Issue, status: string, stamp: string): RawRecord {
  if (status === issue.status) return {};
  if (status === 'closed') return { status, closed_at: stamp };
  if (issue.status === 'closed') return { status, closed_at: undefined, close_reason: undefined };
  return { status };
}

function rawList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function commentRecord(issueId: string, author: string, text: string, stamp: string): RawRecord {
  return { id: randomUUID(), issue_id: issueId, author, text, created_at: stamp };
}

/** Whether `to` is reachable from `from` along work-ordering dependencies. */
function reaches(file: BeadsFile, from: string, to: string): boolean {
  const seen = new Set([from]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    for (const d of file.byId.get(queue[i]!)?.issue.dependencies ?? []) {
      if (!ORDERING.has(d.type) || seen.has(d.depends_on_id)) continue;
      if (d.depends_on_id === to) return true;
      seen.add(d.depends_on_id);
      queue.push(d.depends_on_id);
    }
  }
  return false;
}
