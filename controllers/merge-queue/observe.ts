import path from 'node:path';
import { inspectClone } from '../../src/adapters/git.js';
import type { ControllerContext, DesiredWorld } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { hookPlugins, hookQuestions, verdictsIn } from '../../src/plugins/hooks.js';
import { observedRemoteHead } from '../../src/town/default-branch.js';
import { attemptStore } from '../../src/refinery/attempts.js';
import { mergeQueueStore } from '../../src/refinery/requests.js';
import type { RefineryObserved } from './plan.js';
import { observedNow } from '../../src/util/clock.js';

export async function observeRefinery(ctx: ControllerContext, rig: Rig, world: DesiredWorld): Promise<RefineryObserved> {
  const name = rig.metadata.name;
  const store = mergeQueueStore(ctx.root);
  const plugins = hookPlugins(world, name, 'beforeMerge');
  const [requests, current, clone, inbox] = await Promise.all([
    store.list(name),
    store.current(name),
    inspectClone(path.join(ctx.root, name, 'refinery', 'rig')),
    plugins.length ? ctx.services.mailbox(`${name}/refinery`).list() : Promise.resolve([]),
  ]);
  const attempts = await attemptStore(ctx.root).list(name);
  const issues: RefineryObserved['issues'] = {};
  const ids = new Set([...requests.map((r) => r.issueId), ...attempts.map((a) => a.issueId)]);
  // Opened only when there is something to look up: issues kept in the repository need the clone first.
  const tracker = ids.size ? await ctx.services.tracker(rig, world.town?.manifest) : undefined;
  for (const id of ids) {
    const i = await tracker!.get(id);
    if (i) issues[id] = { status: i.status, priority: i.priority, title: i.title };
  }
  const verdicts = verdictsIn(inbox);
  const asked: RefineryObserved['asked'] = {};
  for (const p of plugins) asked[p.name] = hookQuestions(await ctx.services.mailbox(p.address).list(), `${name}/refinery`, 'beforeMerge');
  return { now: observedNow(), cloneReady: clone.state === 'repo', remoteHead: await observedRemoteHead(ctx.root, name), requests, current, issues, attempts, plugins, verdicts, asked };
}
