import { mkdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { git, gitOk, GitError, readRef } from '../adapters/git.js';
import { fail } from '../errors.js';
import { acquireLock } from '../store/lock.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseBeadsFile, renderBeadsFile, type BeadsFile } from './jsonl-file.js';
import type { BeadsStorage, Describe } from './storage.js';

export interface GitStorageOptions {
  /** A clone of the project (the rig's refinery clone). Only its object database and one ref of gt's own are used. */
  clone: string;
  /** The branch of `origin` the issues live on. */
  branch: string;
  /** Serialises gt's writers, every gt process of the town (a file in the town, not the clone). */
  lockFile: string;
  lockTimeoutMs?: number;
  /** A read fetches first when the last fetch of this storage is older than this. */
  refreshMs?: number;
  /** Pushes tried (each on top of a fresh fetch) before giving up on a branch that keeps moving. */
  maxPushAttempts?: number;
  /** Rewritten with the new commit after each push: wakes a loop that watches the town's `<rig>/.beads`. */
  pushedMark?: string;
}

export const REPO_ISSUES = '.beads/issues.jsonl';
const IDENTITY = ['-c', 'user.name=gt', '-c', 'user.email=gt@gastown.local'];
const NETWORK_TIMEOUT_MS = 120_000;
/**
 * How `git push --porcelain` says the branch moved: behind it (refused before sending), or moved
 * by a push that reached the remote at the same moment (its ref lock saw another old value).
 */
const MOVED = /^!\t.*\t(\[rejected\] \((fetch first|non-fast-forward)\)|\[remote rejected\] \((failed to update ref|incorrect old value provided)\))/m;

/**
 * `.beads/issues.jsonl` on a branch of the project's own repository, read and written through a
 * clone without touching its working tree, index or branches: the refinery merges in that clone
 * at the same time. A read fetches the branch into `refs/gt/beads/<branch>` (at most once per
 * `refreshMs`) and reads the file from that commit. A write, under the town's lock, fetches,
 * applies the change to the file as it is on the branch, commits it on top (plumbing: a new blob,
 * trees and commit) and pushes. A push refused because the branch moved is not rebased textually:
 * the change is applied again to the new version, so a claim of an issue someone else claimed
 * meanwhile fails as it should, and the attempts are bounded.
 */
export class GitStorage implements BeadsStorage {
  readonly where: string;
  private readonly ref: string;
  private readonly refreshMs: number;
  private readonly maxPushAttempts: number;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private cache: { tip: string; file: BeadsFile } | undefined;

  constructor(private readonly o: GitStorageOptions) {
    this.where = `${path.join(o.clone, REPO_ISSUES)} (on origin/${o.branch})`;
    this.ref = `refs/gt/beads/${o.branch}`;
    this.refreshMs = o.refreshMs ?? 5000;
    this.maxPushAttempts = o.maxPushAttempts ?? 5;
  }

  async read(): Promise<BeadsFile> {
    if (Date.now() - this.fetchedAt >= this.refreshMs) await this.fetch();
    const tip = await this.tip();
    if (this.cache?.tip === tip) return this.cache.file;
    const file = parseBeadsFile(await this.textAt(tip, REPO_ISSUES), this.where);
    this.cache = { tip, file };
    return file;
  }

  /** Another file of the branch as last fetched (its .beads/config.yaml), or undefined. */
  async show(rel: string): Promise<string | undefined> {
    if (Date.now() - this.fetchedAt >= this.refreshMs) await this.fetch();
    const text = await this.textAt(await this.tip(), rel);
    return text === '' ? undefined : text;
  }

  async write<T>(describe: Describe, change: (file: BeadsFile) => Promise<T> | T, keepOnError: boolean): Promise<T> {
    await mkdir(path.dirname(this.o.lockFile), { recursive: true });
    const lock = await acquireLock(this.o.lockFile, { command: `gt beads (${this.where})`, timeoutMs: this.o.lockTimeoutMs ?? 60_000, pollMs: 20 });
    try {
      for (let attempt = 1; ; attempt++) {
        await this.fetch();
        const tip = await this.tip();
        const before = await this.textAt(tip, REPO_ISSUES);
        const file = parseBeadsFile(before, this.where);
        let result: T | undefined;
        let failure: { err: unknown } | undefined;
        try {
          result = await change(file);
        } catch (err) {
          if (!keepOnError) throw err;
          failure = { err };
        }
        const after = renderBeadsFile(file);
        const what = typeof describe === 'string' ? describe : describe();
        if (after !== before) {
          const commit = await this.commit(tip, after, what);
          if (!(await this.push(commit, what))) {
            if (attempt >= this.maxPushAttempts) {
              fail({
                kind: 'conflict',
                message: `could not push "${what}" to ${this.o.branch}: the branch moved ${attempt} times while gt wrote (other pushes to it); nothing was changed, try again`,
              });
            }
            // Another writer pushed in between: wait a little (not in step with it), then redo the change on its version.
            await sleep(50 * attempt + Math.floor(Math.random() * 100));
            continue;
          }
          await gitOk(['update-ref', this.ref, commit, tip], { cwd: this.o.clone });
          if (this.o.pushedMark) await writeFileAtomic(this.o.pushedMark, `${commit}\n`);
        }
        if (failure) throw failure.err;
        return result as T;
      }
    } finally {
      await lock.release();
    }
  }

  private async fetch(): Promise<void> {
    await gitOk(['fetch', '-q', '--no-tags', '--no-write-fetch-head', 'origin', `+refs/heads/${this.o.branch}:${this.ref}`], { cwd: this.o.clone, timeoutMs: NETWORK_TIMEOUT_MS });
    this.fetchedAt = Date.now();
  }

  private async tip(): Promise<string> {
    return (await readRef(this.o.clone, this.ref)) ?? (await gitOk(['rev-parse', '--verify', this.ref], { cwd: this.o.clone })).trim();
  }

  /** A file's text at `commit`; '' when the commit has no such file (a tracker not started yet). */
  private async textAt(commit: string, rel: string): Promise<string> {
    const blob = await git(['rev-parse', '-q', '--verify', `${commit}:${rel}`], { cwd: this.o.clone });
    if (blob.exitCode !== 0) return '';
    return gitOk(['cat-file', 'blob', blob.stdout.trim()], { cwd: this.o.clone });
  }

  private async commit(parent: string, text: string, what: string): Promise<string> {
    const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: this.o.clone, input: text })).trim();
    const tree = await this.treeWith(`${parent}^{tree}`, REPO_ISSUES.split('/'), blob);
    return (await gitOk([...IDENTITY, 'commit-tree', tree, '-p', parent, '-m', `beads: ${what}`], { cwd: this.o.clone })).trim();
  }

  /** `treeish` with the file at `parts` replaced by `blob` (created, with its directories, when absent). */
  private async treeWith(treeish: string | undefined, parts: string[], blob: string): Promise<string> {
    const listing = treeish === undefined ? '' : await gitOk(['ls-tree', '-z', treeish], { cwd: this.o.clone });
    // Entries are `<mode> <type> <object>\t<name>`, kept as they are except the one replaced.
    const entries = listing.split('\0').filter(Boolean);
    const [name, ...rest] = parts as [string, ...string[]];
    const at = entries.findIndex((e) => e.slice(e.indexOf('\t') + 1) === name);
    const old = at >= 0 ? entries[at]!.slice(0, entries[at]!.indexOf('\t')).split(' ') : undefined;
    let entry: string;
    if (rest.length === 0) {
      entry = `${old?.[1] === 'blob' && old[0] === '100755' ? '100755' : '100644'} blob ${blob}\t${name}`;
    } else {
      entry = `040000 tree ${await this.treeWith(old?.[1] === 'tree' ? old[2] : undefined, rest, blob)}\t${name}`;
    }
    if (at >= 0) entries[at] = entry;
    else entries.push(entry);
    return (await gitOk(['mktree', '-z'], { cwd: this.o.clone, input: `${entries.join('\0')}\0` })).trim();
  }

  /** true: pushed; false: refused because the branch moved. Any other refusal is an error naming it. */
  private async push(commit: string, what: string): Promise<boolean> {
    const args = ['push', '--porcelain', 'origin', `${commit}:refs/heads/${this.o.branch}`];
    const r = await git(args, { cwd: this.o.clone, timeoutMs: NETWORK_TIMEOUT_MS });
    if (r.exitCode === 0) return true;
    if (MOVED.test(r.stdout)) return false;
    const cause = new GitError(args, r);
    const refused = /^!\t.*\t(.*)$/m.exec(r.stdout)?.[1];
    fail({ kind: 'conflict', message: `could not push "${what}" to ${this.o.branch}: ${refused ? `${refused}; ` : ''}${cause.message}` });
  }
}
