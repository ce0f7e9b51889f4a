import { open } from 'node:fs/promises';

/**
 * Appends whole lines to a JSONL file in one write and syncs it. A file that does not end with a
 * newline holds a torn last line (a writer died mid-line, or the disk filled): the new lines start
 * on a line of their own, so the torn one stays alone (for gt doctor to report) and nothing new
 * is glued to it and lost with it. A write that fails part-way is undone: all of `text` or none.
 */
export async function appendLines(file: string, text: string, opts: { sync?: boolean } = {}): Promise<number> {
  const fh = await open(file, 'a+', 0o644);
  try {
    const { size } = await fh.stat();
    let data = text;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) data = `\n${text}`;
    }
    const bytes = Buffer.from(data);
    try {
      // A write may take only part of the buffer (a disk filling up): the rest follows, or fails.
      for (let at = 0; at < bytes.length;) {
        const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
        if (bytesWritten === 0) throw new Error(`cannot append to ${file}: the disk took nothing`);
        at += bytesWritten;
      }
      if (opts.sync !== false) await fh.sync();
    } catch (err) {
      // A write the disk could take only part of (ENOSPC) must not leave a torn line of gt's own:
      // the file is cut back to what it held, and the caller learns that nothing was appended.
      await fh.truncate(size).catch(() => undefined);
      throw err;
    }
    return bytes.length;
  } finally {
    await fh.close();
  }
}
