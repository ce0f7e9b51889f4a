import { fail } from '../../errors.js';
import { inboxPath } from '../../mail/address.js';
import { Mailbox, type MailPriority, type MailType } from '../../mail/mailbox.js';
import { requireTown } from '../../town/locate.js';
import { outputFormat, printResult, type GlobalOptions } from '../options.js';

const TYPES: MailType[] = ['task', 'escalation', 'notification', 'reply', 'handoff'];
const PRIORITIES: MailPriority[] = ['low', 'normal', 'high', 'urgent'];

/** Agents mail as themselves (GT_AGENT); a person at the terminal is the overseer. */
function me(explicit: string | undefined): string {
  return explicit ?? process.env.GT_AGENT ?? 'overseer';
}

export async function mailSend(
  g: GlobalOptions,
  to: string,
  o: { subject: string; message: string; from?: string; type?: string; replyTo?: string; priority?: string; output?: string },
): Promise<number> {
  const format = outputFormat(o.output);
  const type = (o.type ?? 'notification') as MailType;
  if (!TYPES.includes(type)) fail({ kind: 'usage', message: `--type ${o.type}: expected one of ${TYPES.join(', ')}` });
  const priority = (o.priority ?? 'normal') as MailPriority;
  if (!PRIORITIES.includes(priority)) fail({ kind: 'usage', message: `--priority ${o.priority}: expected one of ${PRIORITIES.join(', ')}` });
  const root = requireTown(g);
  const from = me(o.from);
  // A reply joins the thread of the message it answers, which is in the replier's own inbox.
  const answered = o.replyTo ? (await new Mailbox(inboxPath(root, from)).list()).find((m) => m.id === o.replyTo) : undefined;
  const msg = await new Mailbox(inboxPath(root, to)).send({
    from,
    to,
    subject: o.subject,
    body: o.message,
    type,
    priority,
    ...(o.replyTo ? { replyTo: o.replyTo, threadId: answered?.threadId ?? o.replyTo } : {}),
  });
  await printResult(format, msg, () => `Sent ${msg.id} to ${to}.`);
  return 0;
}

export async function mailInbox(g: GlobalOptions, address: string | undefined, o: { output?: string; unread?: boolean }): Promise<number> {
  const format = outputFormat(o.output);
  const who = me(address);
  const all = await new Mailbox(inboxPath(requireTown(g), who)).list();
  const shown = o.unread ? all.filter((m) => !m.read) : all;
  await printResult(format, shown, () => (shown.length ? shown.map((m) => `${m.read ? ' ' : '*'} ${m.id}  ${m.timestamp}  ${m.type.padEnd(12)} from ${m.from}: ${m.subject}`) : `No mail for ${who}.`));
  return 0;
}

export async function mailRead(g: GlobalOptions, id: string, address: string | undefined, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const msg = await new Mailbox(inboxPath(requireTown(g), me(address))).markRead(id);
  if (!msg) fail({ kind: 'notFound', message: `no message ${id} in ${me(address)}'s inbox` });
  await printResult(format, msg, () => [`From: ${msg.from}`, `To: ${msg.to}`, `Date: ${msg.timestamp}`, `Type: ${msg.type}`, `Subject: ${msg.subject}`, '', msg.body]);
  return 0;
}
