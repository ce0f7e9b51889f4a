import { fail } from '../../errors.js';
import type { Issue } from '../../beads/record.js';
import type { IssueTracker } from '../../beads/tracker.js';
import type { Rig } from '../../model/objects.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { attemptStore } from '../../refinery/attempts.js';
import { unusedRepoBeads } from '../../doctor/observe.js';
import { outputFormat, printResult, type GlobalOptions } from '../options.js';

export interface IssuesOptions {
  rig?: string;
  output?: string;
}

async function trackerFor(g: GlobalOptions, o: IssuesOptions): Promise<IssueTracker> {
  return (await rigTracker(g, o)).tracker;
}

async function rigTracker(g: GlobalOptions, o: IssuesOptions): Promise<{ session: TownSession; rig: Rig; tracker: IssueTracker }> {
  const session = new TownSession(requireTown(g));
  const rigName = o.rig ?? process.env.GT_RIG;
  const rigs = await session.store.list('Rig');
  const rig = (rigName ? rigs.find((r) => r.manifest.metadata.name === rigName) : rigs.length === 1 ? rigs[0] : undefined)?.manifest as Rig | undefined;
  if (!rig) fail({ kind: 'usage', message: rigName ? `no Rig "${rigName}" in ${session.root}` : `which rig? pass --rig (rigs: ${rigs.map((r) => r.manifest.metadata.name).join(', ') || 'none'})` });
  const town = (await session.store.list('Town'))[0]?.manifest as Parameters<TownSession['services']['tracker']>[1];
  return { session, rig, tracker: await session.services.tracker(rig, town) };
}

function table(issues: Issue[]): string[] {
  if (!issues.length) return ['No issues.'];
  const rows = issues.map((i) => [i.id, `P${i.priority}`, i.status, i.issue_type, i.assignee ?? '', i.title]);
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c]!.length), ['ID', 'PRI', 'STATUS', 'TYPE', 'ASSIGNEE'][c]!.length));
  return [['ID', 'PRI', 'STATUS', 'TYPE', 'ASSIGNEE', 'TITLE'], ...rows].map((r) => r.map((cell, c) => (c < 5 ? cell.padEnd(widths[c]!) : cell)).join('  '));
}

function show(issue: Issue): string[] {
  const deps = issue.dependencies.map((d) => `${d.type} ${d.depends_on_id}`);
  return [
    `${issue.id}: ${issue.title}`,
    `status ${issue.status}, priority P${issue.priority}, type ${issue.issue_type}${issue.assignee ? `, assignee ${issue.assignee}` : ''}`,
    ...(deps.length ? [`depends on: ${deps.join(', ')}`] : []),
    ...(issue.close_reason ? [`closed: ${issue.close_reason}`] : []),
    '',
    issue.description || '(no description)',
    ...(issue.comments ?? []).map((c) => `\n-- ${c.author} at ${c.created_at}:\n${c.text}`),
  ];
}

export async function issuesList(g: GlobalOptions, o: IssuesOptions & { status?: string }, readyOnly: boolean): Promise<number> {
  const format = outputFormat(o.output);
  const { session, rig, tracker: t } = await rigTracker(g, o);
  const issues = readyOnly ? await t.ready() : await t.list(o.status ? { status: o.status } : {});
  // "No issues." while the repository carries a tracker of its own is the question people ask next.
  const unused = issues.length ? undefined : await unusedRepoBeads(session.root, rig);
  const hint = unused
    ? [`(rig ${rig.metadata.name} uses the town's ${rig.metadata.name}/.beads; its repository carries ${unused}: set spec.beads.location: repository on the Rig to use those, see gt doctor)`]
    : [];
  await printResult(format, issues, () => [...table(issues), ...hint]);
  return 0;
}

export async function issuesShow(g: GlobalOptions, id: string, o: IssuesOptions): Promise<number> {
  const format = outputFormat(o.output);
  const issue = await (await trackerFor(g, o)).get(id);
  if (!issue) fail({ kind: 'notFound', message: `no issue ${id}` });
  await printResult(format, issue, () => show(issue));
  return 0;
}

export async function issuesCreate(
  g: GlobalOptions,
  title: string,
  o: IssuesOptions & { description?: string; priority?: string; type?: string; blockedBy?: string[]; parent?: string },
): Promise<number> {
  const format = outputFormat(o.output);
  const priority = o.priority === undefined ? undefined : Number(o.priority);
  if (priority !== undefined && (!Number.isInteger(priority) || priority < 0 || priority > 4)) fail({ kind: 'usage', message: `-p ${o.priority}: priority is 0 (highest) to 4` });
  const issue = await (
    await trackerFor(g, o)
  ).create({
    title,
    ...(o.description !== undefined ? { description: o.description } : {}),
    ...(priority !== undefined ? { priority } : {}),
    ...(o.type ? { type: o.type } : {}),
    ...(o.blockedBy?.length ? { blockedBy: o.blockedBy } : {}),
    ...(o.parent ? { parent: o.parent } : {}),
  });
  await printResult(format, issue, () => `Created ${issue.id}: ${issue.title}`);
  return 0;
}

export async function issuesClose(g: GlobalOptions, id: string, o: IssuesOptions & { reason?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const issue = await (await trackerFor(g, o)).close(id, o.reason ?? 'closed by hand');
  await printResult(format, issue, () => `Closed ${issue.id}: ${issue.title}`);
  return 0;
}

/**
 * A fresh merge budget: the issue's rejection count is forgotten and a blocked issue is open
 * again (still assigned to the polecat whose branch it is, so the work goes back to it).
 */
export async function issuesRetry(g: GlobalOptions, id: string, o: IssuesOptions): Promise<number> {
  const format = outputFormat(o.output);
  const { session, rig, tracker } = await rigTracker(g, o);
  const before = await tracker.get(id);
  if (!before) fail({ kind: 'notFound', message: `no issue ${id} in rig ${rig.metadata.name}` });
  if (before.status === 'closed') fail({ kind: 'usage', message: `${id} is closed; nothing to retry` });
  const store = attemptStore(session.root);
  const rejections = (await store.get(rig.metadata.name, id))?.rejections.length ?? 0;
  await store.remove(rig.metadata.name, id);
  const issue = before.status === 'blocked' ? await tracker.update(id, { status: 'open' }) : before;
  await tracker.addComment(id, process.env.GT_AGENT || 'overseer', `Retry: a fresh merge budget (${rejections} rejection${rejections === 1 ? '' : 's'} forgotten).`);
  const result = { id, rig: rig.metadata.name, status: issue.status, rejections };
  await printResult(format, result, () => `${id}: a fresh merge budget (${rejections} rejection${rejections === 1 ? '' : 's'} forgotten); status ${issue.status}.`);
  return 0;
}
