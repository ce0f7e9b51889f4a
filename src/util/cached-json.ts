import { deepFreeze } from './freeze.js';
import { readTextIfExists, statIfExists } from './fs-read.js';

/**
 * Reads JSON files, reusing the parsed value while a file's inode, size and mtime are
 * unchanged. gt writes by rename (a new inode), and a file changed in the last second is
 * always read again, since file times are coarse (git's "racy" rule). For files the loop reads
 * on every pass that rarely change: status, worker records.
 */
export class CachedJsonReader {
  private readonly cache = new Map<string, { key: string; value: unknown }>();

  /**
   * `shared`: every caller gets the same deeply frozen value instead of its own copy, for
   * readers that never change what they read (status); the copies are most of the garbage of
   * an idle loop.
   */
  constructor(private readonly opts: { shared?: boolean } = {}) {}

  private hand<T>(value: unknown): T {
    return (this.opts.shared ? value : structuredClone(value)) as T;
  }

  async read<T>(file: string): Promise<T | undefined> {
    const st = await statIfExists(file);
    if (!st) {
      this.cache.delete(file);
      return undefined;
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit && hit.key === key && Date.now() - st.mtimeMs > 1000) return this.hand<T>(hit.value);
    const text = await readTextIfExists(file);
    if (text === undefined) return undefined;
    const parsed = JSON.parse(text) as unknown;
    const value = this.opts.shared ? deepFreeze(parsed) : parsed;
    this.cache.set(file, { key, value });
    return this.hand<T>(value);
  }
}
