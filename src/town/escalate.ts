import type { MailPriority } from '../mail/mailbox.js';
import type { Town } from '../model/objects.js';
import type { TownServices } from './services.js';
import { unappliedTown } from '../manifest/validate.js';

/** The Overseer's inbox: the person running the town (`gt status` shows its unread escalations). */
export const OVERSEER = 'overseer';

export interface Escalation {
  from: string;
  subject: string;
  body: string;
  priority: Extract<MailPriority, 'high' | 'urgent'>;
  /** Only a person can decide it (an issue blocked by its merge budget): the Overseer gets it too, always. */
  forOverseer?: boolean;
}

/**
 * Pure: who gets an escalation. Its target always (it reads it once it runs); the Overseer too
 * when no running session reads the target's inbox (a mayor that is not enabled, stopped or
 * crashed), so an escalation never waits in an inbox nobody reads.
 */
export function escalationRecipients(target: string, readers: ReadonlySet<string>, forOverseer = false): string[] {
  return target === OVERSEER || (readers.has(target) && !forOverseer) ? [target] : [target, OVERSEER];
}

/**
 * The one way gt escalates: to the Town's escalation target (default `mayor`), and to the
 * Overseer when that target has no running reader. Returns who got it.
 */
export async function sendEscalation(services: TownServices, town: Town | undefined, e: Escalation): Promise<string[]> {
  const target = (town ?? unappliedTown(services.root)).spec.escalation.target;
  // A reader is a live session whose agent has that mail address (gt's tmux metadata says whose).
  const readers = new Set((await services.sessions(town, true)).filter((s) => !s.dead && s.meta.agent).map((s) => s.meta.agent!));
  const to = escalationRecipients(target, readers, e.forOverseer);
  for (const address of to) await services.mailbox(address).send({ from: e.from, to: address, subject: e.subject, body: e.body, type: 'escalation', priority: e.priority });
  return to;
}
