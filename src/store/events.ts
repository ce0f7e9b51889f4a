import { open, stat } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { appendLines } from '../util/append-lines.js';
import { acquireLock } from './lock.js';

/** What happened, as an append-only JSONL log (.gt/events.jsonl). One closed union, one line each. */
export type GtEventBody =
  | { type: 'applied'; key: string; change: 'created' | 'configured' | 'unchanged' | 'deletionRequested' | 'deleted'; generation: number }
  | { type: 'intent'; key: string; action: unknown; text: string }
  | { type: 'action'; key: string; action: unknown; text: string; outcome: 'ok' }
  | { type: 'actionFailed'; key: string; action: unknown; text: string; error: string }
  | { type: 'finding'; key: string; code: string; message: string }
  | { type: 'reconciled'; key: string; generation: number; ready: boolean; pending: number };

export type GtEvent = GtEventBody & { seq: number; time: string };

export class EventLog {
  /** The next sequence number, while the file is the size our last append left it. */
  private next: { seq: number; size: number } | undefined;

  constructor(readonly file: string) {}

  /**
   * Appends under the log's own short lock: the loop and one-shot commands reconcile side by side
   * (the town lock is no longer held across a reconcile), and sequence numbers must stay unique
   * and increasing. The last number is read again from the file when another process appended.
   */
  async append(bodies: GtEventBody[]): Promise<GtEvent[]> {
    if (!bodies.length) return [];
    await mkdir(path.dirname(this.file), { recursive: true });
    const held = await acquireLock(`${this.file}.lock`, { command: 'gt events', timeoutMs: 30_000, pollMs: 10 });
    try {
      const size = await sizeOf(this.file);
      let seq = this.next && this.next.size === size ? this.next.seq : (await lastSeq(this.file)) + 1;
      const time = new Date().toISOString();
      const events = bodies.map((b) => ({ seq: seq++, time, ...b }));
      const text = events.map((e) => JSON.stringify(e) + '\n').join('');
      this.next = { seq, size: size + (await appendLines(this.file, text, { sync: false })) };
      return events;
    } finally {
      await held.release();
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Sequence number of the last complete line, reading only the file's tail. */
async function lastSeq(file: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return 0;
  }
  const fh = await open(file, 'r');
  try {
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter(Boolean).reverse();
    for (const line of lines) {
      try {
        const seq = (JSON.parse(line) as { seq?: unknown }).seq;
        if (typeof seq === 'number') return seq;
      } catch {
        // A torn last line (crash mid-append) is skipped; the one before it holds the last seq.
      }
    }
    return 0;
  } finally {
    await fh.close();
  }
}
