import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { acquireLock } from '../store/lock.js';
import { writeFileAtomic } from '../util/atomic.js';
import { appendLines } from '../util/append-lines.js';
import { failpoint } from '../util/failpoint.js';

export type MailType = 'task' | 'escalation' | 'notification' | 'reply' | 'handoff';
export type MailPriority = 'low' | 'normal' | 'high' | 'urgent';

export interface MailMessage {
  id: string;
  from: string;
  to: string;
  subject: string;
  body: string;
  timestamp: string;
  read: boolean;
  priority: MailPriority;
  type: MailType;
  threadId?: string;
  replyTo?: string;
}

export type NewMail = Omit<MailMessage, 'id' | 'timestamp' | 'read' | 'priority' | 'type' | 'threadId'> & Partial<Pick<MailMessage, 'priority' | 'type' | 'threadId'>>;

/**
 * A JSONL inbox. Appends and rewrites (marking read) take the inbox's lock, and an append is a
 * single write of a whole line, so several writers at once lose nothing and tear no line.
 */
export class Mailbox {
  constructor(readonly file: string) {}

  /** Every writer of this inbox (gt doctor --fix too) takes this lock. */
  get lockFile(): string {
    return `${this.file}.lock`;
  }

  private lock() {
    return acquireLock(this.lockFile, { command: 'mail', timeoutMs: 10_000, pollMs: 10 });
  }

  async send(mail: NewMail): Promise<MailMessage> {
    const msg: MailMessage = {
      id: `msg-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
      timestamp: new Date().toISOString(),
      read: false,
      priority: 'normal',
      type: 'notification',
      ...mail,
    };
    msg.threadId ??= mail.replyTo ?? msg.id;
    await mkdir(path.dirname(this.file), { recursive: true });
    const held = await this.lock();
    try {
      await appendLines(this.file, JSON.stringify(msg) + '\n');
      failpoint('mail:after-write');
    } finally {
      await held.release();
    }
    return msg;
  }

  /** Every message, oldest first; a torn line (crash mid-write by a foreign writer) is skipped. */
  async list(): Promise<MailMessage[]> {
    const text = await readFile(this.file, 'utf8').catch(() => '');
    const out: MailMessage[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MailMessage);
      } catch {
        continue;
      }
    }
    return out;
  }

  async markRead(id: string): Promise<MailMessage | undefined> {
    const held = await this.lock();
    try {
      const msg = (await this.list()).find((m) => m.id === id);
      if (!msg) return undefined;
      if (!msg.read) {
        msg.read = true;
        // Only that message's line changes. A torn line (a writer cut short) is never dropped by
        // the rewrite: it is quarantined to <inbox>.torn first (synced before the inbox is
        // rewritten, so a crash between leaves it twice, never nowhere), as gt doctor --fix does.
        const lines = (await readFile(this.file, 'utf8')).split('\n');
        const torn = lines.filter((l) => l.trim() && lineId(l) === undefined);
        if (torn.length) await appendLines(`${this.file}.torn`, torn.join('\n') + '\n');
        const kept = lines.filter((l) => !torn.includes(l)).map((l) => (lineId(l) === id ? JSON.stringify(msg) : l));
        await writeFileAtomic(this.file, kept.join('\n'));
      }
      return msg;
    } finally {
      await held.release();
    }
  }
}

function lineId(line: string): string | undefined {
  try {
    return (JSON.parse(line) as { id?: string }).id;
  } catch {
    return undefined;
  }
}
