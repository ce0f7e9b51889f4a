import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readTextIfExists, statIfExists } from '../util/fs-read.js';
import path from 'node:path';
import { cloneInto, git, gitOk, inspectClone, readRef, type ProgressSink } from '../adapters/git.js';
import { AGENT_FILES } from './polecat.js';
import type { VerifyFacts } from './verification.js';

/**
 * Files gt puts into a polecat's clone that must never count as the agent's work (the agent's
 * instructions file is added by name), with the temp files of gt's atomic writes (one is left
 * behind when gt is killed mid-write).
 */
const EXCLUDED = ['/mail/', '/state.json', '/state.json.lock', '/.state.json.tmp-*'];

/**
 * A polecat's clone on its own branch, ready for the agent: excluded gt files, an identity for
 * commits, the agent's instructions file (`instructionsFile`: CLAUDE.md, AGENTS.md, ...). Every step is skipped when already done, so a crashed spawn resumes.
 * Returns the commit the branch started from.
 */
export async function preparePolecatClone(opts: {
  url: string;
  base: string;
  dir: string;
  branch: string;
  instructions: string;
  instructionsFile: string;
  author: string;
  onProgress?: ProgressSink;
}): Promise<string> {
  const inspected = await inspectClone(opts.dir, { work: true });
  const state = inspected.state;
  const identity = { 'user.name': opts.author, 'user.email': `${opts.author.replace(/[^A-Za-z0-9._-]+/g, '.')}@gastown.local` };
  if (state === 'notRepo') {
    // A released polecat's directory keeps its mail (and its agent's state, stale now); the new clone takes the mail over.
    const entries = await readdir(opts.dir);
    if (entries.some((e) => !AGENT_FILES.has(e))) throw new Error(`${opts.dir} exists and is not a clone; move it away`);
    const mail = `${opts.dir}.mail-${process.pid}`;
    await rename(path.join(opts.dir, 'mail'), mail).catch(() => undefined);
    await rm(opts.dir, { recursive: true, force: true });
    try {
      await cloneInto(opts.url, opts.base, opts.dir, identity, opts.onProgress);
    } finally {
      // A failed clone gives the polecat's mail back its directory.
      await mkdir(opts.dir, { recursive: true });
      await rename(mail, path.join(opts.dir, 'mail')).catch(() => undefined);
    }
  } else if (state === 'missing') {
    await cloneInto(opts.url, opts.base, opts.dir, identity, opts.onProgress);
  } else {
    // Changes not committed on another branch would follow the checkout into this work.
    const head = await readTextIfExists(path.join(opts.dir, '.git', 'HEAD'));
    if (inspected.state === 'repo' && inspected.work?.dirty && head?.trim() !== `ref: refs/heads/${opts.branch}`)
      throw new CloneHoldsOtherWork(
        `${opts.dir} holds ${inspected.work.dirty} uncommitted change(s) on ${head?.trim().replace(/^ref: refs\/heads\//, '') ?? 'no branch'}: kept for a person; the issue goes to another polecat`,
      );
    for (const [k, v] of Object.entries(identity)) await gitOk(['config', k, v], { cwd: opts.dir });
  }
  // Refs are read from .git: a spawn costs more than the lookup, and spawning is on the path
  // from "issue ready" to "agent running".
  const has = (await readRef(opts.dir, `refs/heads/${opts.branch}`)) !== undefined;
  // Work sent back by the merge queue continues from the branch on the remote.
  const remote = (await readRef(opts.dir, `refs/remotes/origin/${opts.branch}`)) !== undefined;
  if (!has) await gitOk(['checkout', '-q', '-b', opts.branch, remote ? `origin/${opts.branch}` : `origin/${opts.base}`], { cwd: opts.dir });
  else await gitOk(['checkout', '-q', opts.branch], { cwd: opts.dir });
  const exclude = path.join(opts.dir, '.git', 'info', 'exclude');
  await mkdir(path.dirname(exclude), { recursive: true });
  const current = await readFile(exclude, 'utf8').catch(() => '');
  const missing = [...EXCLUDED, `/${opts.instructionsFile}`].filter((e) => !current.split('\n').includes(e));
  if (missing.length) await appendFile(exclude, `${current && !current.endsWith('\n') ? '\n' : ''}# added by gt\n${missing.join('\n')}\n`);
  // A project that tracks the file (its own AGENTS.md) keeps it: overwriting it would be a change
  // the agent could commit. The agent still gets its instructions from the prompt file.
  const tracked = (await git(['ls-files', '--error-unmatch', '--', opts.instructionsFile], { cwd: opts.dir })).exitCode === 0;
  if (!tracked) await writeFile(path.join(opts.dir, opts.instructionsFile), opts.instructions);
  const base = await readRef(opts.dir, `refs/remotes/origin/${opts.base}`);
  return base ?? (await gitOk(['rev-parse', `origin/${opts.base}`], { cwd: opts.dir })).trim();
}

/** A polecat's existing clone holds uncommitted work of another branch: never carried into a new issue. */
export class CloneHoldsOtherWork extends Error {
  override name = 'CloneHoldsOtherWork';
}

/** When the checked-out branch last moved, from its ref file (no git process: checked every pass). */
export async function headMovedAt(dir: string): Promise<number | undefined> {
  const head = await readTextIfExists(path.join(dir, '.git', 'HEAD'));
  if (head === undefined) return undefined;
  const ref = /^ref: (.+)$/m.exec(head)?.[1];
  return (await statIfExists(ref ? path.join(dir, '.git', ref) : path.join(dir, '.git', 'HEAD')))?.mtimeMs;
}

/** Everything "is this work ready to hand on" needs: clean, stash-free, pushed, at least one commit. */
export async function verifyFacts(dir: string, branch: string, baseSha: string | undefined): Promise<VerifyFacts | undefined> {
  const state = await inspectClone(dir, { work: true });
  if (state.state !== 'repo' || !state.work) return undefined;
  const [head, remote, ahead] = await Promise.all([
    git(['rev-parse', 'HEAD'], { cwd: dir }),
    git(['ls-remote', '--heads', 'origin', `refs/heads/${branch}`], { cwd: dir, timeoutMs: 60_000 }),
    git(['rev-list', '--count', baseSha ? `${baseSha}..HEAD` : 'HEAD'], { cwd: dir }),
  ]);
  return {
    dirty: state.work.dirty,
    stashes: state.work.stashes,
    head: head.exitCode === 0 ? head.stdout.trim() : undefined,
    remoteHead: remote.exitCode === 0 ? remote.stdout.trim().split(/\s+/)[0] || undefined : undefined,
    // Unknown counts as work: a failed count must never make a clone look safe to delete.
    ahead: ahead.exitCode === 0 ? Number(ahead.stdout.trim()) : Infinity,
    unpushed: state.work.unpushed,
  };
}
