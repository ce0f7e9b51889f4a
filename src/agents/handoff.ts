import path from 'node:path';
import { Mailbox } from '../mail/mailbox.js';
import { updateAgentState } from './state.js';

/**
 * A handoff (DESIGN.md §4 session-cycle): a mail in the agent's own inbox, then
 * `requesting_cycle` in its state file, in that order, so the flag never points at a mail that
 * was not written. gt starts a fresh session that is told to read the mail first.
 */
export async function writeHandoff(d: { home: string; address: string }, from: string, body: string): Promise<string> {
  const msg = await new Mailbox(path.join(d.home, 'mail', 'inbox.jsonl')).send({ from, to: d.address, subject: 'Handoff', body, type: 'handoff', priority: 'high' });
  await updateAgentState(d.home, (s) => ({ ...s, requesting_cycle: true, handoff: { messageId: msg.id, at: msg.timestamp, by: from === d.address ? 'agent' : 'gt' } }));
  return msg.id;
}
