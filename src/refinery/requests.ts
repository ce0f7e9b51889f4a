import { rm } from 'node:fs/promises';
import { listDir } from '../util/fs-read.js';
import path from 'node:path';
import { readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import { townPaths } from '../town/layout.js';

/** A verified branch waiting to be merged: written by the worker pool (or `gt land`). */
export interface MergeRequest {
  issueId: string;
  branch: string;
  /** The verified commit: exactly this is merged, whatever the branch holds later. */
  head: string;
  polecat: string;
  readyAt: string;
  baseSha?: string;
  /** The head that last failed (conflict or red tests): not retried until the branch has new commits. */
  failedHead?: string;
  failure?: string;
  /** From `gt land`: merged ahead of the queue. */
  direct?: boolean;
  skipTests?: boolean;
  /** beforeMerge plugin consultation: the question's mail id, when it was sent, and to whom. */
  asked?: { plugin: string; messageId: string; at: string };
}

/** The merge being carried out, recorded before each step that cannot be undone. */
export interface MergeInProgress {
  issueId: string;
  branch: string;
  head: string;
  target: string;
  /** The remote target before this merge: if it is still there after a crash, nothing was pushed. */
  targetBefore: string;
  phase: 'merging' | 'pushing' | 'pushed';
  /** The commit being pushed (set with phase `pushing`). */
  mergeCommit?: string;
  startedAt: string;
}

const CURRENT = '_current.json';

/** .gt/merge-queue/<rig>/<issue>.json and the in-progress record _current.json. */
export class MergeQueueStore {
  constructor(readonly dir: string) {}

  /** The output of the current merge's test command, written as it runs. */
  testLog(rig: string): string {
    return path.join(this.rigDir(rig), '_current.log');
  }

  rigDir(rig: string): string {
    return path.join(this.dir, rig);
  }

  async list(rig: string): Promise<MergeRequest[]> {
    const names = (await listDir(this.rigDir(rig))).filter((n) => n.endsWith('.json') && !n.startsWith('_') && !n.startsWith('.'));
    const texts = await Promise.all(names.sort().map((n) => readTextIfExists(path.join(this.rigDir(rig), n))));
    return texts.filter((t): t is string => t !== undefined).map((t) => JSON.parse(t) as MergeRequest);
  }

  async put(rig: string, r: MergeRequest): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(rig), `${r.issueId}.json`), toJsonText(r));
  }

  async remove(rig: string, issueId: string): Promise<void> {
    await rm(path.join(this.rigDir(rig), `${issueId}.json`), { force: true });
  }

  async current(rig: string): Promise<MergeInProgress | undefined> {
    const t = await readTextIfExists(path.join(this.rigDir(rig), CURRENT));
    return t ? (JSON.parse(t) as MergeInProgress) : undefined;
  }

  async setCurrent(rig: string, m: MergeInProgress): Promise<void> {
    await writeFileAtomic(path.join(this.rigDir(rig), CURRENT), toJsonText(m));
  }

  async clearCurrent(rig: string): Promise<void> {
    await rm(path.join(this.rigDir(rig), CURRENT), { force: true });
  }
}

/** The town's merge queue (the worker pool and gt land add to it, the refinery takes from it). */
export function mergeQueueStore(root: string): MergeQueueStore {
  return new MergeQueueStore(townPaths(root).mergeQueueDir);
}
