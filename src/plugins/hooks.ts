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
    .map((p) => ({ name: p.metadata.name, address: pluginAddress(p), timeoutMs: parseDuration(p.spec.timeout ?? '5m'), defaultVerdict: p.spec.defaultVerdict ?? 'proceed' }))
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
