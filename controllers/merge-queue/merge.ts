import { access } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { git, gitOk, readRef } from '../../src/adapters/git.js';
import { run } from '../../src/adapters/process.js';

export type Strategy = 'ff-only' | 'merge' | 'squash' | 'rebase';

const IDENTITY = ['-c', 'user.name=gt refinery', '-c', 'user.email=refinery@gastown.local'];

export type MergeResult = { ok: true; commit: string } | { ok: false; reason: string; detail: string };

/**
 * Puts the refinery clone exactly on the remote target: fetched, checked out, no changes, no
 * untracked files; returns the target's commit. Each git process costs a fork of gt, so only
 * the calls that can change something are made (an interrupted merge or rebase is seen on disk).
 */
export async function resetToTarget(clone: string, target: string): Promise<string> {
  await gitOk(['fetch', '-q', '--prune', 'origin'], { cwd: clone, timeoutMs: 10 * 60_000 });
  const gitDir = path.join(clone, '.git');
  if ((await exists(path.join(gitDir, 'rebase-merge'))) || (await exists(path.join(gitDir, 'rebase-apply')))) await git(['rebase', '--abort'], { cwd: clone });
  if (await exists(path.join(gitDir, 'MERGE_HEAD'))) await git(['merge', '--abort'], { cwd: clone });
  // checkout -f -B resets the branch, the index and the tracked files to the remote target.
  await gitOk(['checkout', '-q', '-f', '-B', target, `origin/${target}`], { cwd: clone });
  await gitOk(['clean', '-q', '-fd'], { cwd: clone });
  return headOf(clone, target);
}

/** The branch's commit, read from .git when possible (a git process costs a fork of gt). */
async function headOf(clone: string, branch: string): Promise<string> {
  return (await readRef(clone, `refs/heads/${branch}`)) ?? (await gitOk(['rev-parse', 'HEAD'], { cwd: clone })).trim();
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Brings `head` onto the checked-out target by the rig's strategy. A conflict leaves nothing behind. */
export async function mergeOnto(clone: string, strategy: Strategy, head: string, target: string, message: string): Promise<MergeResult> {
  const conflict = async (r: { stdout: string; stderr: string }): Promise<MergeResult> => {
    const files = (await git(['diff', '--name-only', '--diff-filter=U'], { cwd: clone })).stdout.trim().split('\n').filter(Boolean);
    return { ok: false, reason: files.length ? `merge conflict in ${files.join(', ')}` : `${strategy} merge failed`, detail: (r.stdout + r.stderr).trim() };
  };
  switch (strategy) {
    case 'ff-only': {
      const r = await git(['merge', '-q', '--ff-only', head], { cwd: clone });
      if (r.exitCode !== 0) return { ok: false, reason: `not a fast-forward of ${target} (rebase the branch onto ${target})`, detail: r.stderr.trim() };
      break;
    }
    case 'merge': {
      const r = await git([...IDENTITY, 'merge', '-q', '--no-ff', '-m', message, head], { cwd: clone });
      if (r.exitCode !== 0) return conflict(r);
      break;
    }
    case 'squash': {
      const r = await git([...IDENTITY, 'merge', '-q', '--squash', head], { cwd: clone });
      if (r.exitCode !== 0) return conflict(r);
      const c = await git([...IDENTITY, 'commit', '-q', '-m', message], { cwd: clone });
      if (c.exitCode !== 0) return { ok: false, reason: 'nothing to merge (the branch adds no change)', detail: (c.stdout + c.stderr).trim() };
      break;
    }
    case 'rebase': {
      await gitOk(['checkout', '-q', '--detach', head], { cwd: clone });
      const r = await git([...IDENTITY, 'rebase', '-q', `origin/${target}`], { cwd: clone });
      if (r.exitCode !== 0) return conflict(r);
      const tip = (await gitOk(['rev-parse', 'HEAD'], { cwd: clone })).trim();
      await gitOk(['checkout', '-q', '-B', target, `origin/${target}`], { cwd: clone });
      await gitOk(['merge', '-q', '--ff-only', tip], { cwd: clone });
      break;
    }
  }
  return { ok: true, commit: await headOf(clone, target) };
}

export async function runTests(clone: string, argv: string[], timeoutMs: number, logFile?: string): Promise<{ ok: boolean; tail: string }> {
  if (!argv.length) return { ok: true, tail: '' };
  // The output as it comes, for gt status and the dashboard to show while the tests run.
  const log = logFile ? createWriteStream(logFile, { flags: 'w' }) : undefined;
  // Only for people watching: a disk too full for it must fail neither the merge nor gt run (an unheard 'error' event would end the process).
  log?.on('error', () => undefined);
  let r;
  try {
    r = await run(argv[0]!, argv.slice(1), { cwd: clone, timeoutMs, ...(log ? { onOutput: (chunk: string) => void log.write(chunk) } : {}) });
  } catch (err) {
    return { ok: false, tail: `cannot run ${argv[0]}: ${(err as Error).message}` };
  } finally {
    if (log) await finished(log.end()).catch(() => undefined);
  }
  const tail = (r.stdout + r.stderr).trim().split('\n').slice(-20).join('\n');
  if (r.timedOut) return { ok: false, tail: `timed out after ${Math.round(timeoutMs / 1000)}s\n${tail}` };
  return { ok: r.exitCode === 0, tail };
}

/** Whether `commit` is already part of the remote target (after a fetch). */
export async function isOnRemoteTarget(clone: string, commit: string, target: string): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', commit, `origin/${target}`], { cwd: clone })).exitCode === 0;
}
