import type { DesiredWorld, ObserveContext } from '../../src/engine/controller.js';
import { readIfListed } from '../../src/engine/observation-pass.js';
import type { Rig } from '../../src/model/objects.js';
import { hookPlugins, hookQuestions, verdictsIn } from '../../src/plugins/hooks.js';
import { attemptStore } from '../../src/refinery/attempts.js';
import { mergeQueueStore } from '../../src/refinery/requests.js';
import type { RefineryObserved } from './plan.js';
import { refineryClone, remoteHead } from '../common/shared-facts.js';
import { observedNow } from '../../src/util/clock.js';

export async function observeRefinery(ctx: ObserveContext, rig: Rig, world: DesiredWorld): Promise<RefineryObserved> {
  const name = rig.metadata.name;
  const store = mergeQueueStore(ctx.root);
  const plugins = hookPlugins(world, name, 'beforeMerge');
  // A rig with nothing queued, merging or rejected has no directory of its own there (its
  // attempts are kept in it too): in a pass, one listing of the queue answers for every such rig.
  const queued = async <T>(read: () => Promise<T>, absent: T) => (await readIfListed(ctx.pass, store.rigDir(name), read)) ?? absent;
  const [requests, current, clone, inbox, attempts] = await Promise.all([
    queued(() => store.list(name), []),
    queued(() => store.current(name), undefined),
    refineryClone(ctx, name),
    plugins.length ? ctx.services.mailbox(`${name}/refinery`).list() : Promise.resolve([]),
    queued(() => attemptStore(ctx.root).list(name), []),
  ]);
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
  return { now: observedNow(), cloneReady: clone.state === 'repo', remoteHead: await remoteHead(ctx, name), requests, current, issues, attempts, plugins, verdicts, asked };
}
