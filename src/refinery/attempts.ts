import { rm } from 'node:fs/promises';
import path from 'node:path';
import { toJsonText, writeFileAtomic } from '../util/atomic.js';
import { listDir, readTextIfExists } from '../util/fs-read.js';
import { townPaths } from '../town/layout.js';

/**
 * The merge attempt budget of one issue: every rejection of its branch by the merge queue, kept
 * apart from the merge request (which the next `gt done` rewrites) so the count survives the
 * polecat redoing the work. A rejection of the same head for the same reason counts too.
 */
export interface MergeAttempts {
  issueId: string;
  rejections: { at: string; head: string; reason: string }[];
  /** The tail of the last rejection's output (test or git), for the comment that blocks the issue. */
  lastDetail: string;
  /** The budget was spent: the issue was set blocked and the Overseer told, at this time. */
  blockedAt?: string;
}

/** The issue's budget is spent (the issue must be blocked, or already is). */
export function budgetSpent(a: MergeAttempts | undefined, maxAttempts: number): boolean {
  return !!a && a.rejections.length >= maxAttempts;
}

/**
 * An issue blocked by its spent budget that a person has not let go yet: gt status, gt diff and
 * gt doctor report it. Reopened (any status but blocked), it is over: a fresh budget.
 */
export function blockedByBudget(a: MergeAttempts | undefined, issueStatus: string | undefined): boolean {
  return !!a?.blockedAt && issueStatus === 'blocked';
}

/** .gt/merge-queue/<rig>/_attempts/<issue>.json */
export class AttemptStore {
  constructor(readonly dir: string) {}

  private rigDir(rig: string): string {
    return path.join(this.dir, rig, '_attempts');
  }

  async list(rig: string): Promise<MergeAttempts[]> {
    const names = (await listDir(this.rigDir(rig))).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    return (await Promise.all(names.sort().map((n) => readTextIfExists(path.join(this.rigDir(rig), n))))).filter((t): t is string => t !== undefined).map((t) => JSON.parse(t) as MergeAttempts);
  }

  async get(rig: string, issueId: string): Promise<MergeAttempts | undefined> {
    const t = await readTextIfExists(path.join(this.rigDir(rig), `${issueId}.json`));
    return t ? (JSON.parse(t) as MergeAttempts) : undefined;
  }

  async put(rig: string, a: MergeAttempts): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(rig), `${a.issueId}.json`), toJsonText(a));
  }

  async addRejection(rig: string, issueId: string, head: string, reason: string, detail: string): Promise<MergeAttempts> {
    const before = (await this.get(rig, issueId)) ?? { issueId, rejections: [], lastDetail: '' };
    const next = { ...before, rejections: [...before.rejections, { at: new Date().toISOString(), head, reason }], lastDetail: detail };
    await this.put(rig, next);
    return next;
  }

  async remove(rig: string, issueId: string): Promise<void> {
    await rm(path.join(this.rigDir(rig), `${issueId}.json`), { force: true });
  }
}

/** The town's merge attempt budgets (the refinery counts, gt doctor and gt issues read and reset them). */
export function attemptStore(root: string): AttemptStore {
  return new AttemptStore(townPaths(root).mergeQueueDir);
}
