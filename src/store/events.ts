import { appendFile, open, stat } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

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
  private nextSeq: number | undefined;

  constructor(readonly file: string) {}

  /** Appends under the caller's town lock, so sequence numbers are unique and increasing. */
  async append(bodies: GtEventBody[]): Promise<GtEvent[]> {
    if (!bodies.length) return [];
    if (this.nextSeq === undefined) this.nextSeq = (await lastSeq(this.file)) + 1;
    const time = new Date().toISOString();
    const events = bodies.map((b) => ({ seq: this.nextSeq!++, time, ...b }) as GtEvent);
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, events.map((e) => JSON.stringify(e) + '\n').join(''));
    return events;
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
