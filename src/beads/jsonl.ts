import { statQuiet } from '../util/quick-fs.js';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fail } from '../errors.js';
import { acquireLock } from '../store/lock.js';
import { readTextIfExists, writeFileAtomic } from '../util/atomic.js';
import { checkPrefix, newIssueId } from './ids.js';
import { appendIssue, fileIssues, parseBeadsFile, renderBeadsFile, updateRecord, type BeadsFile, type IssueLine } from './jsonl-file.js';
import { Readiness, readyIssues } from './ready.js';
import { dependencyRecord, newIssueRecord, type Dependency, type DependencyType, type Issue, type RawRecord } from './record.js';
import { checkClaim, checkCreate, checkDependencyType, checkPatch, matchesFilter } from './rules.js';
import { formatTimestamp } from './time.js';
import type { CreateIssueInput, IssueFilter, IssuePatch, IssueTracker } from './tracker.js';

export interface JsonlTrackerOptions {
  prefix: string;
  /** Author of the comments gt writes itself (reopen reasons), as bd uses its actor. */
  actor?: string;
  /** How long a mutation waits for another writer's lock. */
  lockTimeoutMs?: number;
  /** The clock; tests pin it. */
  now?: () => Date;
}

/** Dependency types that order work, which must not form a cycle. */
const ORDERING: ReadonlySet<string> = new Set(['blocks', 'conditional-blocks', 'waits-for', 'parent-child']);

/**
 * The embedded tracker: `<beadsDir>/issues.jsonl` in bd's own format. Reads take no lock (the
 * file is only ever replaced by rename, so a reader sees a whole version). Every change takes
 * `issues.jsonl.lock`, re-reads the file, applies itself and replaces the file atomically, so
 * writers in different processes serialise and none loses another's change. A file that does not
 * parse is reported by line and never written.
 */
export class JsonlTracker implements IssueTracker {
  readonly backend = 'jsonl';
  readonly file: string;
  private readonly lockFile: string;
  private readonly prefix: string;
  private readonly actor: string;
  private readonly lockTimeoutMs: number;
  private readonly now: () => Date;
  private cache: { key: string; file: BeadsFile } | undefined;
  /** Set on the tracker a batch hands to its work: the file as read under the lock, changed in memory. */
  private pending: BeadsFile | undefined;

  constructor(beadsDir: string, opts: JsonlTrackerOptions) {
    checkPrefix(opts.prefix);
    this.file = path.join(beadsDir, 'issues.jsonl');
    this.lockFile = `${this.file}.lock`;
    this.prefix = opts.prefix;
    this.actor = opts.actor ?? 'gt';
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;
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
    return this.mutate((file, now, stamp) => {
      if (input.parent !== undefined) requireEntry(file, input.parent);
      const blockers = [...new Set(input.blockedBy ?? [])];
      for (const b of blockers) if (!isExternal(b)) requireEntry(file, b);
      const id = newIssueId(this.prefix, input.title, now, file.takenIds);
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
    });
  }

  async update(id: string, patch: IssuePatch): Promise<Issue> {
    checkPatch(patch);
    return this.mutate((file, _now, stamp) => {
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
    return this.mutate(async (file, now, stamp) => {
      const entry = file.byId.get(id);
      const held = await checkClaim(id, entry?.issue, assignee, async () => new Readiness(fileIssues(file), now).whyNotReady(id));
      if (held) return entry!.issue;
      return updateRecord(file, entry!, { status: 'in_progress', assignee, updated_at: stamp });
    });
  }

  async close(id: string, reason: string): Promise<Issue> {
    return this.mutate((file, _now, stamp) => {
      const entry = requireEntry(file, id);
      if (entry.issue.status === 'closed') fail({ kind: 'conflict', message: `cannot close ${id}: already closed at ${entry.issue.closed_at}` });
      return updateRecord(file, entry, { ...statusFields(entry.issue, 'closed', stamp), close_reason: reason === '' ? undefined : reason, updated_at: stamp });
    });
  }

  /** As `bd reopen`: open again, no longer deferred, and the reason kept as a comment. */
  async reopen(id: string, reason: string): Promise<Issue> {
    return this.mutate((file, _now, stamp) => {
      const entry = requireEntry(file, id);
      if (entry.issue.status !== 'closed') fail({ kind: 'conflict', message: `cannot reopen ${id}: it is ${entry.issue.status}, not closed` });
      const fields: Record<string, unknown> = { ...statusFields(entry.issue, 'open', stamp), defer_until: undefined, updated_at: stamp };
      if (reason !== '') fields.comments = [...rawList(entry.raw.comments), commentRecord(id, this.actor, reason, stamp)];
      return updateRecord(file, entry, fields);
    });
  }

  async addComment(id: string, author: string, text: string): Promise<Issue> {
    if (text.trim() === '') fail({ kind: 'usage', message: 'a comment needs text' });
    return this.mutate((file, _now, stamp) => {
      const entry = requireEntry(file, id);
      const comments = [...rawList(entry.raw.comments), commentRecord(id, author, text, stamp)];
      return updateRecord(file, entry, { comments, updated_at: stamp });
    });
  }

  async addDependency(issueId: string, dependsOnId: string, type: DependencyType): Promise<Issue> {
    checkDependencyType(type);
    if (issueId === dependsOnId) fail({ kind: 'usage', message: `${issueId} cannot depend on itself` });
    return this.mutate((file, _now, stamp) => {
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
    return this.locked(async (file) => {
      const tx = new JsonlTracker(path.dirname(this.file), { prefix: this.prefix, actor: this.actor, lockTimeoutMs: this.lockTimeoutMs, now: this.now });
      tx.pending = file;
      try {
        return await work(tx);
      } finally {
        tx.pending = undefined; // a tx kept by mistake must not write into a file already written
      }
    }, true);
  }

  /**
   * The parsed file, reused while it is unchanged: the worker pool reads it on every pass, and
   * parsing 50,000 issues costs far more than the stat. gt and bd replace the file by rename, so
   * a new inode, size or mtime means new content.
   */
  private async read(): Promise<BeadsFile> {
    if (this.pending) return this.pending;
    const st = statQuiet(this.file);
    const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
    if (this.cache?.key === key) return this.cache.file;
    const file = parseBeadsFile((await readTextIfExists(this.file)) ?? '', this.file);
    this.cache = { key, file };
    return file;
  }

  private async mutate<T>(change: (file: BeadsFile, now: Date, stamp: string) => T | Promise<T>): Promise<T> {
    const stamped = (file: BeadsFile) => {
      const now = this.now();
      return change(file, now, formatTimestamp(now));
    };
    return this.pending ? stamped(this.pending) : this.locked(stamped, false);
  }

  /**
   * Under the lock: read the file, let `change` edit it in memory, write it back if it differs.
   * With `keepOnError` the edits made before a failure are written too (a batch of changes,
   * each of which checks before it edits, so none is left half-made).
   */
  private async locked<T>(change: (file: BeadsFile) => Promise<T> | T, keepOnError: boolean): Promise<T> {
    const lock = await acquireLock(this.lockFile, { command: `gt beads (${this.file})`, timeoutMs: this.lockTimeoutMs, pollMs: 10 });
    try {
      const before = (await readTextIfExists(this.file)) ?? '';
      const file = parseBeadsFile(before, this.file);
      const write = async () => {
        const after = renderBeadsFile(file);
        if (after !== before) await writeFileAtomic(this.file, after);
      };
      let result: T;
      try {
        result = await change(file);
      } catch (err) {
        if (keepOnError) await write();
        throw err;
      }
      await write();
      return result;
    } finally {
      await lock.release();
    }
  }
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
