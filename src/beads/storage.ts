import path from 'node:path';
import { acquireLock } from '../store/lock.js';
import { readTextIfExists, writeFileAtomic } from '../util/atomic.js';
import { statIfExists } from '../util/fs-read.js';
import { parseBeadsFile, renderBeadsFile, type BeadsFile } from './jsonl-file.js';

/** What a change is, said once it is made (a new issue's id is known only then). */
export type Describe = string | (() => string);

/**
 * Where an issues.jsonl lives for the embedded tracker: a file in a directory (the town's
 * `<rig>/.beads`), or a file on a branch of the project's repository (git-storage.ts).
 */
export interface BeadsStorage {
  /** The file as people name it, for messages. */
  readonly where: string;
  /** The current version; no lock taken. */
  read(): Promise<BeadsFile>;
  /**
   * Read-modify-write with no other writer in between: `change` edits the file in memory, which
   * is written (once) when it differs. With `keepOnError` what `change` edited before it failed
   * is written too (a batch, each step of which checks before it edits). `change` may be run
   * again on a newer version (a git branch that moved), so it must depend on nothing but the
   * file it is given. `what` says what the change is (a commit message), asked after `change` ran.
   */
  write<T>(what: Describe, change: (file: BeadsFile) => Promise<T> | T, keepOnError: boolean): Promise<T>;
}

/**
 * `<beadsDir>/issues.jsonl`. Reads take no lock (the file is only ever replaced by rename, so a
 * reader sees a whole version). Every write takes `issues.jsonl.lock`, re-reads the file,
 * applies itself and replaces the file atomically, so writers in different processes serialise
 * and none loses another's change.
 */
export class FileStorage implements BeadsStorage {
  readonly where: string;
  private readonly lockFile: string;
  private cache: { key: string; file: BeadsFile } | undefined;

  constructor(
    beadsDir: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.where = path.join(beadsDir, 'issues.jsonl');
    this.lockFile = `${this.where}.lock`;
  }

  /**
   * The parsed file, reused while it is unchanged: the worker pool reads it on every pass, and
   * parsing 50,000 issues costs far more than the stat. gt and bd replace the file by rename, so
   * a new inode, size or mtime means new content.
   */
  async read(): Promise<BeadsFile> {
    const st = await statIfExists(this.where);
    const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent';
    if (this.cache?.key === key) return this.cache.file;
    const file = parseBeadsFile((await readTextIfExists(this.where)) ?? '', this.where);
    this.cache = { key, file };
    return file;
  }

  async write<T>(_what: Describe, change: (file: BeadsFile) => Promise<T> | T, keepOnError: boolean): Promise<T> {
    const lock = await acquireLock(this.lockFile, { command: `gt beads (${this.where})`, timeoutMs: this.lockTimeoutMs, pollMs: 10 });
    try {
      const before = (await readTextIfExists(this.where)) ?? '';
      const file = parseBeadsFile(before, this.where);
      const save = async () => {
        const after = renderBeadsFile(file);
        if (after !== before) await writeFileAtomic(this.where, after);
      };
      let result: T;
      try {
        result = await change(file);
      } catch (err) {
        if (keepOnError) await save();
        throw err;
      }
      await save();
      return result;
    } finally {
      await lock.release();
    }
  }
}
