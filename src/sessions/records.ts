import { rm } from 'node:fs/promises';
import path from 'node:path';
import { toJsonText, writeFileAtomic } from '../util/atomic.js';
import { readTextIfExists } from '../util/fs-read.js';
import type { AgentConditionCode } from '../agents/screens.js';

/**
 * What gt remembers about a long-running agent session that tmux cannot tell it: its starts and
 * crashes (for backoff and crash-loop detection) and the intent to end it on purpose, written
 * before the session is killed, so that a session gone after a crash of gt mid-cycle is started
 * again rather than counted as the agent's crash.
 */
export interface SessionRecord {
  name: string;
  /** Every start, oldest first (only the last few are kept). */
  starts: string[];
  /** Deaths gt did not cause, oldest first (only the last few are kept). */
  crashes: string[];
  /** The fingerprint the running session was started with. */
  fingerprint?: string;
  /** gt is ending the session on purpose: a cycle (handoff or spec drift) or a stop. */
  ending?: { reason: 'handoff' | 'drift' | 'stop'; at: string };
  /** The spec stopped the session and gt asked it to hand off at this time. */
  stopRequestedAt?: string;
  /** Ended on purpose by a stop: it stays ended while the spec says so. */
  stoppedAt?: string;
  /** Left stopped after too many crashes, until the spec changes (a new generation). */
  crashLoop?: { at: string; generation: number; fingerprint?: string };
  /** The newest unread message the agent was told about. */
  notifiedMailId?: string;
  /** What the agent's screen showed that keeps it from working (escalated once), under which launch. */
  agentCondition?: { code: AgentConditionCode; at: string; fingerprint: string };
}

const KEEP = 20;

export class SessionStore {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  async get(name: string): Promise<SessionRecord | undefined> {
    const text = await readTextIfExists(this.file(name));
    return text ? (JSON.parse(text) as SessionRecord) : undefined;
  }

  async put(r: SessionRecord): Promise<void> {
    await writeFileAtomic(this.file(r.name), toJsonText({ ...r, starts: r.starts.slice(-KEEP), crashes: r.crashes.slice(-KEEP) }));
  }

  async update(name: string, change: (r: SessionRecord) => SessionRecord): Promise<SessionRecord> {
    const next = change((await this.get(name)) ?? { name, starts: [], crashes: [] });
    await this.put(next);
    return next;
  }

  async remove(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
  }
}
