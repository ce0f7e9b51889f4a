// The dashboard's actions. Each runs its CLI verb (the bundled gt, an argument array, no shell),
// so it is the very code path a person at the terminal uses; before that, its diff is shown.
import { applyToWorld } from '../apply/changeset.js';
import { run } from '../adapters/process.js';
import { fail } from '../errors.js';
import type { Rig, Town } from '../model/objects.js';
import { attemptStore } from '../refinery/attempts.js';
import { mergeQueueStore } from '../refinery/requests.js';
import type { TownSession } from '../town/session.js';
import { OVERSEER } from '../town/escalate.js';
import { suspendChanges } from '../cli/commands/stop.js';
import { changeLines, planLines } from '../cli/render.js';
import { diffView } from '../cli/views/diff.js';

export type ActionRequest =
  | { verb: 'stop' | 'start'; rig?: string }
  | { verb: 'reset-breaker'; rig: string }
  | { verb: 'retry'; rig: string; issue: string }
  | { verb: 'land'; rig: string; polecat: string }
  | { verb: 'answer'; id: string; message: string };

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** How long a stop or start reconciles when no loop is running (the loop does it otherwise). */
const ONE_SHOT_WAIT = '10s';

function field(body: Record<string, unknown>, name: string, pattern: RegExp): string {
  const v = body[name];
  if (typeof v !== 'string' || !pattern.test(v))
    fail({ kind: 'usage', message: `${name}: expected ${pattern === NAME ? 'a name (lowercase letters, digits, -)' : 'an id'}, got ${JSON.stringify(v)}` });
  return v;
}

/** A request body, checked: only these verbs, with names and ids of the expected shape. */
export function parseAction(body: unknown): ActionRequest {
  if (!body || typeof body !== 'object') fail({ kind: 'usage', message: 'expected a JSON object' });
  const b = body as Record<string, unknown>;
  switch (b.verb) {
    case 'stop':
    case 'start':
      return b.rig === undefined ? { verb: b.verb } : { verb: b.verb, rig: field(b, 'rig', NAME) };
    case 'reset-breaker':
      return { verb: 'reset-breaker', rig: field(b, 'rig', NAME) };
    case 'retry':
      return { verb: 'retry', rig: field(b, 'rig', NAME), issue: field(b, 'issue', ID) };
    case 'land':
      return { verb: 'land', rig: field(b, 'rig', NAME), polecat: field(b, 'polecat', NAME) };
    case 'answer': {
      const message = b.message === undefined ? '' : b.message;
      if (typeof message !== 'string') fail({ kind: 'usage', message: 'message: expected text' });
      return { verb: 'answer', id: field(b, 'id', ID), message };
    }
    default:
      fail({ kind: 'usage', message: `verb: expected stop, start, reset-breaker, retry, land or answer, got ${JSON.stringify(b.verb)}` });
  }
}

async function escalation(session: TownSession, id: string) {
  const m = (await session.services.mailbox(OVERSEER).list()).find((x) => x.id === id);
  if (!m) fail({ kind: 'notFound', message: `no message ${id} in the ${OVERSEER}'s inbox` });
  return m;
}

async function rigOf(session: TownSession, name: string): Promise<Rig> {
  const o = await session.store.get('Rig', name);
  if (!o) fail({ kind: 'notFound', message: `no Rig "${name}" in ${session.root}` });
  return o.manifest;
}

/** The gt command lines an action runs, in order (options before `--`, so no value is read as an option). */
export async function commandsOf(session: TownSession, a: ActionRequest): Promise<string[][]> {
  switch (a.verb) {
    case 'stop':
      return [['stop', `--wait=${ONE_SHOT_WAIT}`, '-o', 'json', ...(a.rig ? ['--', a.rig] : [])]];
    case 'start':
      return [['start', '-o', 'json', ...(a.rig ? ['--', a.rig] : [])]];
    case 'reset-breaker':
      return [['reset-breaker', '-o', 'json', '--', a.rig]];
    case 'retry':
      return [['issues', 'retry', `--rig=${a.rig}`, '-o', 'json', '--', a.issue]];
    case 'land':
      return [['land', '-o', 'json', '--', `${a.rig}/${a.polecat}`]];
    case 'answer': {
      const m = await escalation(session, a.id);
      return [
        ['mail', 'send', `--subject=Re: ${m.subject}`, `--message=${a.message}`, '--type=reply', `--reply-to=${m.id}`, `--from=${OVERSEER}`, '-o', 'json', '--', m.from],
        ['mail', 'read', '-o', 'json', '--', m.id, OVERSEER],
      ];
    }
  }
}

/** What the action would change, as `gt diff` says it (stop, start) or as the verb's own facts say it. */
export async function previewAction(session: TownSession, a: ActionRequest): Promise<string[]> {
  switch (a.verb) {
    case 'stop':
    case 'start': {
      if (a.rig) await rigOf(session, a.rig);
      const stored = await session.store.list();
      const now = new Date().toISOString();
      const changes = suspendChanges(stored, a.rig, a.verb === 'stop', now);
      const desired = changeLines(changes);
      if (!desired.length) return [`Already ${a.verb === 'stop' ? 'stopped' : 'started'}: nothing changes.`];
      const { plans } = await diffView(session, applyToWorld(stored, changes, now), changes);
      return ['Desired state:', ...desired.map((l) => `  ${l}`), '', 'Then the plan (gt diff):', ...planLines(plans).map((l) => `  ${l}`)];
    }
    case 'reset-breaker': {
      await rigOf(session, a.rig);
      const pool = await session.services.workers.pool(a.rig);
      const looping = (await session.services.workers.list(a.rig)).filter((w) => w.state === 'crashLooping');
      return [
        pool.breaker ? `~ Rig/${a.rig} breaker: open since ${pool.breaker.openedAt} (${pool.breaker.reason}) -> closed` : `= Rig/${a.rig} breaker: not open`,
        `~ Rig/${a.rig} spawn failures: ${pool.spawnFailures} -> 0`,
        ...looping.map((w) => `~ polecat ${w.name}: crash-looping -> re-armed; ${w.issueId} goes back to ready on the next pass`),
      ];
    }
    case 'retry': {
      const rig = await rigOf(session, a.rig);
      const town = (await session.store.list('Town'))[0]?.manifest as Town | undefined;
      const issue = await (await session.services.tracker(rig, town)).get(a.issue);
      if (!issue) fail({ kind: 'notFound', message: `no issue ${a.issue} in rig ${a.rig}` });
      if (issue.status === 'closed') fail({ kind: 'usage', message: `${a.issue} is closed; nothing to retry` });
      const rejections = (await attemptStore(session.root).get(a.rig, a.issue))?.rejections.length ?? 0;
      return [`~ ${a.issue} status: ${issue.status}${issue.status === 'blocked' ? ' -> open' : ' (unchanged)'}`, `~ ${a.issue} merge rejections: ${rejections} -> 0 (a fresh merge budget)`];
    }
    case 'land': {
      const rig = await rigOf(session, a.rig);
      const queued = await mergeQueueStore(session.root).list(a.rig);
      const mine = queued.find((r) => r.polecat === a.polecat);
      const worker = (await session.services.workers.list(a.rig)).find((w) => w.name === a.polecat);
      if (!mine && !worker) fail({ kind: 'notFound', message: `polecat ${a.rig}/${a.polecat} has no work to land (no worker and no merge request)` });
      const tests = rig.spec.mergeQueue?.testCommand;
      return [
        `+ merge ${mine?.branch ?? worker!.branch} (${mine?.issueId ?? worker!.issueId}) into ${rig.spec.mergeQueue?.target || rig.spec.defaultBranch || "the rig's target branch"} now, ahead of ${queued.filter((r) => r !== mine).length} queued`,
        `  tests: ${tests?.length ? tests.join(' ') : 'none configured'}`,
        ...(mine ? [] : ['  checks first: its session has ended, its clone is clean and pushed']),
      ];
    }
    case 'answer': {
      const m = await escalation(session, a.id);
      return [
        `+ mail to ${m.from}: "Re: ${m.subject}" (a reply in its thread)`,
        ...(a.message ? a.message.split('\n').map((l) => `    ${l}`) : ['    (the reply you type)']),
        `~ ${m.id} in ${OVERSEER}'s inbox: unread -> read`,
      ];
    }
  }
}

export interface ActionResult {
  ok: boolean;
  commands: string[][];
  output: string;
}

/** Runs the action's gt command lines in order, stopping at the first that fails. */
export async function runAction(session: TownSession, a: ActionRequest, gtBin: string): Promise<ActionResult> {
  if (a.verb === 'answer' && !a.message.trim()) fail({ kind: 'usage', message: 'message: the reply is empty' });
  const commands = await commandsOf(session, a);
  let output = '';
  // The person at the dashboard acts as the Overseer, never as an agent whose variables gt inherited.
  const env = { ...process.env };
  delete env.GT_AGENT;
  for (const args of commands) {
    const r = await run(process.execPath, [gtBin, `--town=${session.root}`, ...args], { cwd: session.root, env, timeoutMs: 120_000 });
    output += r.stdout + r.stderr;
    if (r.exitCode !== 0) return { ok: false, commands, output: output.trim() };
  }
  return { ok: true, commands, output: output.trim() };
}
