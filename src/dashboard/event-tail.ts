import { open, stat } from 'node:fs/promises';
import type { GtEvent } from '../store/events.js';

/**
 * Reads what was appended to the events log (.gt/events.jsonl) since the last look. Only complete
 * lines are taken: a line being written is read whole at the next look. A log that shrank
 * (replaced) is read again from its start.
 */
export class EventTail {
  private offset = 0;
  private partial = '';

  constructor(private readonly file: string) {}

  /** Starts at the end: `read()` then returns only what comes after now. */
  async skipToEnd(): Promise<void> {
    this.offset = await sizeOf(this.file);
    this.partial = '';
  }

  async read(): Promise<GtEvent[]> {
    const size = await sizeOf(this.file);
    if (size < this.offset) {
      this.offset = 0;
      this.partial = '';
    }
    if (size === this.offset) return [];
    const fh = await open(this.file, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      text = this.partial + buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    const events: GtEvent[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as GtEvent);
      } catch {
        // A torn line (a crash mid-append) carries no event; the log's next line does.
      }
    }
    return events;
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** The last `n` events of the log, for a page's first paint or a stream's start. */
export async function lastEvents(file: string, n: number): Promise<GtEvent[]> {
  const all = await new EventTail(file).read();
  return all.slice(-n);
}
