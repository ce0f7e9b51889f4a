import path from 'node:path';
import { inspectClone } from '../../src/adapters/git.js';
import type { ControllerContext, DesiredWorld } from '../../src/engine/controller.js';
import type { Plugin, Rig } from '../../src/model/objects.js';
import { MergeQueueStore } from '../../src/refinery/requests.js';
import { parseDuration } from '../../src/util/duration.js';
import type { BeforeMergePlugin, RefineryObserved } from './plan.js';

export function mergeQueueStore(root: string): MergeQueueStore {
  return new MergeQueueStore(path.join(root, '.gt', 'merge-queue'));
}

/** Plugins that must be asked before a merge in this rig: its own and town-wide ones. */
export function beforeMergePlugins(world: DesiredWorld, rig: string): BeforeMergePlugin[] {
  return world.objects
    .filter((o) => o.manifest.kind === 'Plugin' && !o.deletionRequestedAt)
    .map((o) => o.manifest as Plugin)
    .filter((p) => (p.spec.rig === undefined || p.spec.rig === rig) && p.spec.hooks.includes('beforeMerge'))
    .map((p) => ({ name: p.metadata.name, timeoutMs: parseDuration(p.spec.timeout ?? '5m'), defaultVerdict: p.spec.defaultVerdict ?? 'proceed' }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function observeRefinery(ctx: ControllerContext, rig: Rig, world: DesiredWorld): Promise<RefineryObserved> {
  const name = rig.metadata.name;
  const store = mergeQueueStore(ctx.root);
  const plugins = beforeMergePlugins(world, name);
  const [requests, current, clone, tracker, inbox] = await Promise.all([
    store.list(name),
    store.current(name),
    inspectClone(path.join(ctx.root, name, 'refinery', 'rig')),
    ctx.services.tracker(rig, world.town?.manifest),
    plugins.length ? ctx.services.mailbox(`${name}/refinery`).list() : Promise.resolve([]),
  ]);
  const issues: RefineryObserved['issues'] = {};
  for (const r of requests) {
    const i = await tracker.get(r.issueId);
    if (i) issues[r.issueId] = { status: i.status, priority: i.priority, title: i.title };
  }
  const verdicts: RefineryObserved['verdicts'] = {};
  for (const m of inbox) {
    const word = m.body.trim().split(/\s+/)[0]?.toLowerCase();
    if (m.replyTo && (word === 'proceed' || word === 'escalate')) verdicts[m.replyTo] = word;
  }
  return { now: Date.now(), cloneReady: clone.state === 'repo', requests, current, issues, plugins, verdicts };
}
