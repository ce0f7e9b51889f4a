import { readTextQuiet, statQuiet } from './quick-fs.js';

/**
 * Reads JSON files, reusing the parsed value while a file's inode, size and mtime are
 * unchanged. gt writes by rename (a new inode), and a file changed in the last second is
 * always read again, since file times are coarse (git's "racy" rule). For files the loop reads
 * on every pass that rarely change: status, worker records.
 */
export class CachedJsonReader {
  private readonly cache = new Map<string, { key: string; value: unknown }>();

  read<T>(file: string): T | undefined {
    const st = statQuiet(file);
    if (!st) {
      this.cache.delete(file);
      return undefined;
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit && hit.key === key && Date.now() - st.mtimeMs > 1000) return structuredClone(hit.value) as T;
    const text = readTextQuiet(file);
    if (text === undefined) return undefined;
    const value = JSON.parse(text) as unknown;
    this.cache.set(file, { key, value });
    return structuredClone(value) as T;
  }
}
