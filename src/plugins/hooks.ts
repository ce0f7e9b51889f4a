import type { DesiredWorld } from '../engine/controller.js';
import { pluginAddress } from '../mail/address.js';
import type { MailMessage } from '../mail/mailbox.js';
import type { Plugin } from '../model/objects.js';
import { parseDuration } from '../util/duration.js';

export type Hook = 'beforeMerge' | 'beforeDispatch' | 'onWorkerStuck' | 'onReadyToMerge';
export type Verdict = 'proceed' | 'escalate';

/** A plugin to ask at a hook point: where to mail it, how long to wait, and what silence means. */
export interface HookPlugin {
  name: string;
  address: string;
  timeoutMs: number;
  defaultVerdict: Verdict;
}

/**
 * The plugins that declare `hook` for `rig`: its own and the town-wide ones, by name. A plugin
 * being deleted or stopped is not asked: its hooks would only ever time out.
 */
export function hookPlugins(world: DesiredWorld, rig: string, hook: Hook): HookPlugin[] {
  return world.objects
    .filter((o) => o.manifest.kind === 'Plugin' && !o.deletionRequestedAt)
    .map((o) => o.manifest as Plugin)
    .filter((p) => (p.spec.rig === undefined || p.spec.rig === rig) && p.spec.hooks.includes(hook) && !p.spec.suspend)
    .map((p) => ({ name: p.metadata.name, address: pluginAddress(p), timeoutMs: parseDuration(p.spec.timeout), defaultVerdict: p.spec.defaultVerdict }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Plugin answers among `inbox`, by the id of the question each replies to: the first word of the body. */
export function verdictsIn(inbox: MailMessage[]): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const m of inbox) {
    const word = m.body.trim().split(/\s+/)[0]?.toLowerCase();
    if (m.replyTo && (word === 'proceed' || word === 'escalate')) out[m.replyTo] = word;
  }
  return out;
}

/** A question gt asked a plugin at a hook point: the mail's id and when it was sent. */
export interface HookQuestion {
  id: string;
  at: string;
}

/** Consecutive unanswered questions after which a plugin is reported as unresponsive. */
export const UNRESPONSIVE_AFTER = 3;

/** The questions `from` asked at `hook`, oldest first, among the plugin's inbox. */
export function hookQuestions(inbox: MailMessage[], from: string, hook: Hook): HookQuestion[] {
  return inbox.filter((m) => m.from === from && m.subject.startsWith(`${hook} `)).map((m) => ({ id: m.id, at: m.timestamp }));
}

/**
 * Pure: how many of the plugin's latest questions went unanswered past its timeout, in a row
 * (questions still within their timeout are not counted either way). Each one cost a full
 * timeout and was decided by the default verdict: from UNRESPONSIVE_AFTER on, a finding says so,
 * until the plugin answers again.
 */
export function unansweredStreak(p: HookPlugin, questions: HookQuestion[], verdicts: Record<string, Verdict>, now: number): number {
  let streak = 0;
  for (let i = questions.length - 1; i >= 0; i--) {
    const q = questions[i]!;
    if (verdicts[q.id]) break;
    if (now - Date.parse(q.at) >= p.timeoutMs) streak++;
  }
  return streak;
}

/** The finding for a plugin that keeps timing out, or undefined. */
export function unresponsiveFinding(p: HookPlugin, hook: Hook, questions: HookQuestion[], verdicts: Record<string, Verdict>, now: number): { code: string; message: string } | undefined {
  const n = unansweredStreak(p, questions, verdicts, now);
  if (n < UNRESPONSIVE_AFTER) return undefined;
  return {
    code: 'PluginUnresponsive',
    message: `plugin ${p.name} left its last ${n} ${hook} questions unanswered for its timeout (${Math.round(p.timeoutMs / 1000)}s each); its default verdict (${p.defaultVerdict}) decided each time; check its session (gt status), or remove ${hook} from its hooks`,
  };
}

/** While a verdict is awaited, the plan looks again at least this often (an answer may come before the timeout). */
export const VERDICT_RECHECK_MS = 5000;

/** Where a question asked at a hook point stands: decided (by the plugin's answer or, past its timeout, by its default verdict), or still waited for. */
export type VerdictWait = { verdict: Verdict; answered: boolean } | { waitMs: number; recheckMs: number };

/**
 * Pure: the plugin's verdict on the question `asked` (the mail's id and when it was sent), or how
 * long at most it is still waited for and when to look again. Silence decides nothing until the
 * plugin's timeout, then its default verdict decides.
 */
export function awaitVerdict(p: HookPlugin, asked: { messageId: string; at: string }, verdicts: Record<string, Verdict>, now: number): VerdictWait {
  const answer = verdicts[asked.messageId];
  if (answer) return { verdict: answer, answered: true };
  const waitMs = p.timeoutMs - (now - Date.parse(asked.at));
  if (waitMs <= 0) return { verdict: p.defaultVerdict, answered: false };
  return { waitMs, recheckMs: Math.min(waitMs, VERDICT_RECHECK_MS) };
}
