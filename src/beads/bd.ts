import path from 'node:path';
import { fail } from '../errors.js';
import { run, type RunResult } from '../adapters/process.js';
import { inWorkOrder } from './ready.js';
import { issueFromRecord, type DependencyType, type Issue, type RawRecord } from './record.js';
import { checkClaim, checkCreate, checkDependencyType, checkPatch, matchesFilter } from './rules.js';
import type { CreateIssueInput, IssueFilter, IssuePatch, IssueTracker } from './tracker.js';

export interface BdTrackerOptions {
  /** The bd program; default `bd` on PATH. */
  bdCommand?: string;
  /** Passed to bd as BEADS_ACTOR / BD_ACTOR: the author of what bd records (reopen reasons). */
  actor?: string;
  timeoutMs?: number;
}

/** bd ran but failed; the message carries its exit code and what it printed. */
export class BdCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: RunResult,
    what: string,
  ) {
    super(`bd ${args.join(' ')}: ${what}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
    this.name = 'BdCommandError';
  }
}

/**
 * The tracker over a real bd database, through `bd … --json`. The flags and answers used here were
 * checked against bd 1.x's source (steveyegge/beads cmd/bd): create takes -d, -p, -t, --labels,
 * --assignee, --external-ref, --parent and --deps type:id and answers one issue; update, close
 * and reopen answer a list; show answers a list whose dependencies are issues carrying
 * `dependency_type`; list and ready answer issues with counts and dependency records, and take
 * --limit 0 for no limit (ready's default is 10, list's 50). Calls run one at a time (bd
 * processes on one database contend for its lock), as argument arrays with no shell, and every
 * positional value (ids, titles, comment text) comes after `--`, so a value starting with `-` is
 * never read as a flag. bd answers some failures with exit code 0 and a line on stderr, so every
 * change is checked by reading the issue back.
 */
export class BdTracker implements IssueTracker {
  readonly backend = 'bd';
  private readonly command: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private readonly timeoutMs: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(beadsDir: string, opts: BdTrackerOptions = {}) {
    this.command = opts.bdCommand ?? 'bd';
    const actor = opts.actor ?? 'gt';
    this.env = { ...process.env, BEADS_DIR: beadsDir, BEADS_ACTOR: actor, BD_ACTOR: actor };
    this.cwd = path.dirname(beadsDir);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  async list(filter: IssueFilter = {}): Promise<Issue[]> {
    const out = await this.json(['list', '--json', '--all', '--limit', '0']);
    return asArray(out)
      .map(issueFromBd)
      .filter((i) => matchesFilter(i, filter));
  }

  async get(id: string): Promise<Issue | undefined> {
    const args = ['show', '--json', '--', id];
    const r = await this.exec(args);
    if (r.exitCode !== 0) {
      if (/not found|no issue/i.test(r.stderr + r.stdout)) return undefined;
      throw new BdCommandError(args, r, `exit code ${r.exitCode}`);
    }
    const first = asArray(parseJson(args, r))[0];
    return first === undefined ? undefined : issueFromBd(first);
  }

  /** bd's own computation (open only since bd 1.x; older bd also listed in_progress), in gt's work order (priority, age, id). */
  async ready(): Promise<Issue[]> {
    const out = await this.json(['ready', '--json', '--limit', '0']);
    return inWorkOrder(
      asArray(out)
        .map(issueFromBd)
        .filter((i) => i.status === 'open'),
    );
  }

  async create(input: CreateIssueInput): Promise<Issue> {
    checkCreate(input);
    const args = ['create', '--json'];
    if (input.description !== undefined) args.push('-d', input.description);
    if (input.priority !== undefined) args.push('-p', String(input.priority));
    if (input.type !== undefined) args.push('-t', input.type);
    for (const label of input.labels ?? []) args.push('--labels', label);
    if (input.assignee !== undefined) args.push('--assignee', input.assignee);
    if (input.externalRef !== undefined) args.push('--external-ref', input.externalRef);
    if (input.parent !== undefined) args.push('--parent', input.parent);
    for (const blocker of new Set(input.blockedBy ?? [])) args.push('--deps', `blocks:${blocker}`);
    args.push('--', input.title);
    const created = asArray(await this.json(args))[0] as RawRecord | undefined;
    if (typeof created?.id !== 'string') throw new Error(`bd ${args.join(' ')} answered without the new issue's id`);
    return this.mustGet(created.id);
  }

  async update(id: string, patch: IssuePatch): Promise<Issue> {
    checkPatch(patch);
    const args = ['update', '--json'];
    if (patch.status !== undefined) args.push('--status', patch.status);
    if (patch.assignee !== undefined) args.push('--assignee', patch.assignee ?? '');
    if (patch.title !== undefined) args.push('--title', patch.title);
    if (patch.description !== undefined) args.push('-d', patch.description);
    if (patch.priority !== undefined) args.push('-p', String(patch.priority));
    if (patch.labels !== undefined) {
      if (patch.labels.length === 0) args.push('--set-labels', '');
      for (const label of patch.labels) args.push('--set-labels', label);
    }
    args.push('--', id);
    await this.change(args);
    return this.mustGet(id);
  }

  async claim(id: string, assignee: string): Promise<Issue> {
    const issue = await this.get(id);
    const whyNotReady = async () => ((await this.ready()).some((i) => i.id === id) ? undefined : `${id} is not in bd ready (blocked or deferred)`);
    if (await checkClaim(id, issue, assignee, whyNotReady)) return issue!;
    const r = await this.change(['update', '--json', '--status', 'in_progress', '--assignee', assignee, '--', id]);
    return this.expect(id, (i) => i.status === 'in_progress' && i.assignee === assignee, `claimed by ${assignee}`, r);
  }

  async close(id: string, reason: string): Promise<Issue> {
    const issue = await this.mustGet(id);
    if (issue.status === 'closed') fail({ kind: 'conflict', message: `cannot close ${id}: already closed at ${issue.closed_at}` });
    const r = await this.change(['close', '--json', '--reason', reason, '--', id]);
    return this.expect(id, (i) => i.status === 'closed', 'closed', r);
  }

  async reopen(id: string, reason: string): Promise<Issue> {
    const issue = await this.mustGet(id);
    if (issue.status !== 'closed') fail({ kind: 'conflict', message: `cannot reopen ${id}: it is ${issue.status}, not closed` });
    const r = await this.change(['reopen', '--json', '--reason', reason, '--', id]);
    return this.expect(id, (i) => i.status === 'open', 'open', r);
  }

  async addComment(id: string, author: string, text: string): Promise<Issue> {
    if (text.trim() === '') fail({ kind: 'usage', message: 'a comment needs text' });
    await this.change(['comments', 'add', '--json', '--author', author, '--', id, text]);
    return this.mustGet(id);
  }

  async addDependency(issueId: string, dependsOnId: string, type: DependencyType): Promise<Issue> {
    checkDependencyType(type);
    const r = await this.change(['dep', 'add', '--json', '--type', type, '--', issueId, dependsOnId]);
    return this.expect(issueId, (i) => i.dependencies.some((d) => d.depends_on_id === dependsOnId && d.type === type), `depending on ${dependsOnId}`, r);
  }

  /** bd writes its database itself, one call per change: there is nothing to gather. */
  async batch<T>(work: (tx: IssueTracker) => Promise<T>): Promise<T> {
    return work(this);
  }

  private async mustGet(id: string): Promise<Issue> {
    return (await this.get(id)) ?? fail({ kind: 'notFound', message: `issue ${id} not found by bd (BEADS_DIR=${this.env.BEADS_DIR})` });
  }

  private async expect(id: string, holds: (i: Issue) => boolean, state: string, r: RunResult): Promise<Issue> {
    const issue = await this.mustGet(id);
    if (!holds(issue)) {
      const said = r.stderr.trim() === '' ? '' : `; bd said: ${r.stderr.trim()}`;
      fail({ kind: 'conflict', message: `bd did not leave ${id} ${state} (it is ${issue.status})${said}` });
    }
    return issue;
  }

  private async json(args: string[]): Promise<unknown> {
    return parseJson(args, await this.change(args));
  }

  /** Runs bd and insists on exit code 0. */
  private async change(args: string[]): Promise<RunResult> {
    const r = await this.exec(args);
    if (r.exitCode !== 0) throw new BdCommandError(args, r, r.timedOut ? `timed out after ${this.timeoutMs} ms` : `exit code ${r.exitCode}`);
    return r;
  }

  private exec(args: string[]): Promise<RunResult> {
    const next = this.tail.then(() => run(this.command, args, { cwd: this.cwd, env: this.env, timeoutMs: this.timeoutMs }));
    // One failed call must not stop the ones queued behind it.
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function parseJson(args: readonly string[], r: RunResult): unknown {
  const text = r.stdout.trim();
  // Some bd versions print a warning line on stdout ahead of the JSON.
  const start = text.search(/^[[{]/m);
  if (start < 0) throw new BdCommandError(args, r, 'printed no JSON');
  try {
    return JSON.parse(text.slice(start));
  } catch (err) {
    throw new BdCommandError(args, r, `printed invalid JSON (${(err as Error).message})`);
  }
}

/** `bd create` answers with one object, the other commands with a list. */
function asArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  return v === null || v === undefined ? [] : [v];
}

/**
 * `bd show` lists dependencies as the issues depended on, each with its `dependency_type`;
 * the JSONL form has edges. Both become edges.
 */
function issueFromBd(v: unknown): Issue {
  const raw = { ...(v as RawRecord) };
  if (Array.isArray(raw.dependencies)) {
    raw.dependencies = raw.dependencies.map((d: unknown) => {
      const dep = (typeof d === 'object' && d !== null ? d : {}) as RawRecord;
      return typeof dep.depends_on_id === 'string' ? dep : { issue_id: raw.id, depends_on_id: dep.id, type: dep.dependency_type ?? dep.type };
    });
  }
  return issueFromRecord(raw);
}
