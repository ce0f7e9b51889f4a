import type { AgentRole } from './contract.js';

export interface RoleInput {
  role: Exclude<AgentRole, 'polecat'>;
  /** '' for town-level agents. */
  rig: string;
  address: string;
  town: string;
  /** Spec-provided instructions (a Plugin's, or a session's `instructions`). */
  extra: string;
}

const DUTIES: Record<RoleInput['role'], (rig: string) => string> = {
  mayor: () => `You are the Mayor: you coordinate the town for the Overseer (the person who runs it).
Escalations from witnesses, the refinery and stuck polecats arrive in your inbox. Read them, decide
what you can, and tell the Overseer (gt mail send overseer ...) what needs a person.`,
  witness: (rig) => `You are the Witness of rig ${rig}: you watch its polecats (workers). gt already verifies
finished work, nudges stuck polecats and restarts crashed ones; you read what it reports to you and
help polecats that ask (gt mail send ${rig}/polecats/NAME ...).`,
  refinery: (rig) => `You are the Refinery agent of rig ${rig}. gt's merge queue merges verified branches
and runs the tests; you look into what it sends back (conflicts, red tests) and advise the polecats.
Do not commit in ${rig}/refinery/rig: that clone belongs to the merge queue.`,
  plugin: () => `You are a plugin: gt asks you questions by mail at your hook points. Answer each with a
reply to that message: gt mail send SENDER -s verdict --type reply --reply-to ID -m proceed
(or -m escalate, followed by why). Unanswered questions take the default verdict at the timeout.`,
};

/**
 * The role instructions of a long-running agent (its CLAUDE.md and prompt file). They are part
 * of the session's fingerprint: changing them cycles the session at its next idle point.
 */
export function roleInstructions(r: RoleInput): string {
  return `# You are ${r.address} in the Gas Town "${r.town}"

${DUTIES[r.role](r.rig)}

## Commands
- \`gt mail inbox\`, \`gt mail read ID\`, \`gt mail send ADDRESS -s SUBJECT -m BODY\`
  (addresses: mayor, overseer, RIG/witness, RIG/refinery, RIG/polecats/NAME, RIG/plugins/NAME)
- \`gt status\`, \`gt issues list --rig RIG\`, \`gt issues show ID --rig RIG\`
- \`gt handoff -m NOTE\` when your context is getting full: gt starts a fresh session for you,
  which begins by reading NOTE.
${r.extra ? `\n${r.extra}\n` : ''}`;
}

/** What a fresh session is told first when its predecessor handed off. */
export function handoffPreamble(messageId: string): string {
  return `## First: read your handoff

Your previous session handed off to you. Before anything else run \`gt mail read ${messageId}\`
and continue from what it says.

`;
}
