import { writeHandoff } from '../../agents/handoff.js';
import { fail } from '../../errors.js';
import { agentDir } from '../../mail/address.js';
import { requireTown } from '../../town/locate.js';
import { outputFormat, printResult, type GlobalOptions } from '../options.js';

/** Called by an agent whose context is filling up: gt cycles it to a fresh session that reads NOTE first. */
export async function handoffCommand(g: GlobalOptions, o: { message?: string; agent?: string; output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const address = o.agent ?? process.env.GT_AGENT;
  if (!address || address === 'overseer')
    fail({ kind: 'usage', message: 'gt handoff is for agents: GT_AGENT (or --agent) must name one (mayor, RIG/witness, RIG/refinery, RIG/polecats/NAME, RIG/plugins/NAME)' });
  const root = requireTown(g);
  const id = await writeHandoff({ home: agentDir(root, address), address }, address, o.message?.trim() || '(no note)');
  await printResult(format, { agent: address, handoff: id }, () => `Handoff ${id} written to your inbox. gt starts a fresh session for you at your next idle point; it begins by reading ${id}.`);
  return 0;
}
