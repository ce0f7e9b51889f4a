import { fail } from '../../errors.js';
import { requireTown } from '../../town/locate.js';
import { WorkerStore } from '../../workers/records.js';
import { townPaths } from '../../town/layout.js';
import path from 'node:path';
import { outputFormat, printResult, type GlobalOptions } from '../options.js';

export interface DoneOptions {
  status?: string;
  message?: string;
  agent?: string;
  output?: string;
}

const STATUSES = ['completed', 'deferred', 'escalated'] as const;

/** Called by a polecat (its GT_AGENT names it): records that it finished; the worker pool verifies and hands the work on. */
export async function doneCommand(g: GlobalOptions, o: DoneOptions): Promise<number> {
  const format = outputFormat(o.output);
  const status = (o.status ?? 'completed') as (typeof STATUSES)[number];
  if (!STATUSES.includes(status)) fail({ kind: 'usage', message: `--status ${o.status}: expected one of ${STATUSES.join(', ')}` });
  if (status !== 'completed' && !o.message) fail({ kind: 'usage', message: `--status ${status} needs -m REASON` });
  const agent = o.agent ?? process.env.GT_AGENT;
  const m = agent ? /^([a-z0-9-]+)\/polecats\/([a-z0-9-]+)$/.exec(agent) : null;
  if (!m) fail({ kind: 'usage', message: `gt done is for polecats: GT_AGENT (or --agent) must be RIG/polecats/NAME, got ${JSON.stringify(agent ?? '')}` });
  const root = requireTown(g);
  const store = new WorkerStore(path.join(townPaths(root).gtDir, 'workers'));
  const record = (await store.list(m[1]!)).find((r) => r.name === m[2]);
  if (!record) fail({ kind: 'notFound', message: `no worker ${agent} in ${root}` });
  const signal = { status, ...(o.message ? { message: o.message } : {}), at: new Date().toISOString() };
  await store.signalDone(m[1]!, m[2]!, signal);
  await printResult(format, { agent, issue: record.issueId, branch: record.branch, ...signal }, () =>
    status === 'completed' ? `Recorded: ${record.issueId} done. gt now checks your work (clean tree, no stash, branch ${record.branch} pushed).` : `Recorded: ${record.issueId} ${status}.`,
  );
  return 0;
}
