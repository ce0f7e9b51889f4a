import { open } from 'node:fs/promises';

/**
 * Appends whole lines to a JSONL file in one write and syncs it. A file that does not end with a
 * newline holds a torn last line (a writer died mid-line, or the disk filled): the new lines start
 * on a line of their own, so the torn one stays alone (for gt doctor to report) and nothing new
 * is glued to it and lost with it.
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
    await fh.write(data);
    if (opts.sync !== false) await fh.sync();
    return Buffer.byteLength(data);
  } finally {
    await fh.close();
  }
}
