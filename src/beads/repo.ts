import path from 'node:path';
import { git } from '../adapters/git.js';
import { GtFailure } from '../errors.js';
import { statIfExists } from '../util/fs-read.js';
import { GitStorage } from './git-storage.js';
import { JsonlTracker } from './jsonl.js';
import { findBdDatabase } from './layout.js';
import { openTracker, type OpenTrackerOptions } from './open.js';
import type { IssueTracker } from './tracker.js';

export interface RepoTrackerOptions extends Omit<OpenTrackerOptions, 'prefix'> {
  /** The clone gt reads the repository's `.beads` in: the rig's refinery clone. */
  clone: string;
  /** The branch the issues live on; the remote's default (origin/HEAD) when undefined. */
  branch: string | undefined;
  /** The spec's prefix; else the issue-prefix of the repository's .beads/config.yaml; else `fallbackPrefix`. */
  prefix: string | undefined;
  fallbackPrefix: string;
  /** Town-side files: the lock serialising gt's writers, and the mark rewritten after each push. */
  lockFile: string;
  pushedMark?: string;
  refreshMs?: number;
}

/** The refinery clone a repository's beads are read through is not there (yet). */
export class BeadsCloneMissing extends GtFailure {
  readonly code = 'BeadsCloneMissing';

  constructor(readonly clone: string) {
    super({ kind: 'conflict', message: `the rig's issues live in its repository, read through the clone ${clone}, which is not there yet; gt run (or gt apply) clones it` });
    this.name = 'BeadsCloneMissing';
  }
}

/**
 * The tracker of a rig whose issues live in the project's repository (Rig `beads.location:
 * repository`): bd in the clone's `.beads` where it holds a bd database (bd keeps and syncs its
 * database itself: gt commits nothing), else the committed `.beads/issues.jsonl` on the branch,
 * read and written through git (git-storage.ts).
 */
export async function openRepoTracker(o: RepoTrackerOptions): Promise<IssueTracker> {
  if (!(await statIfExists(path.join(o.clone, '.git')))?.isDirectory()) throw new BeadsCloneMissing(o.clone);
  const beadsDir = path.join(o.clone, '.beads');
  const viaBd = o.backend === 'bd' || (o.backend === 'auto' && (await findBdDatabase(beadsDir)) !== undefined);
  if (viaBd) return openTracker(beadsDir, { ...o, prefix: o.prefix ?? o.fallbackPrefix });
  const storage = new GitStorage({ clone: o.clone, branch: o.branch ?? (await remoteDefault(o.clone)), lockFile: o.lockFile, pushedMark: o.pushedMark, refreshMs: o.refreshMs });
  const prefix = o.prefix ?? issuePrefix((await storage.show('.beads/config.yaml')) ?? '') ?? o.fallbackPrefix;
  return new JsonlTracker(beadsDir, { prefix, actor: o.actor, storage });
}

/** bd's `issue-prefix` in a .beads/config.yaml. */
export function issuePrefix(configYaml: string): string | undefined {
  return /^issue-prefix:\s*["']?([^"'\s#]+)/m.exec(configYaml)?.[1];
}

/** The branch `git clone` checked out: what origin/HEAD points at. */
async function remoteDefault(clone: string): Promise<string> {
  const r = await git(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD'], { cwd: clone });
  return r.exitCode === 0 ? r.stdout.trim().replace(/^origin\//, '') : 'main';
}
