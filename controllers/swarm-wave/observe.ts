import { listDir, statIfExists } from '../../src/util/fs-read.js';
import path from 'node:path';
import type { Issue } from '../../src/beads/record.js';
import type { ControllerContext, Target } from '../../src/engine/controller.js';
import type { Rig, Swarm } from '../../src/model/objects.js';
import { readTextIfExists } from '../../src/util/atomic.js';
import { rigBeadsPaths, statusFile } from '../../src/town/layout.js';
import { isSwarmDetails, type SwarmDetails } from '../../src/swarm/details.js';
import { belongsTo } from './refs.js';
import { townPaths } from '../../src/town/layout.js';

export interface SwarmObserved {
  /** The Swarm's rig in the desired state: there, being removed, or not at all. */
  rig: 'present' | 'removing' | 'missing';
  /** `<rig>/.beads` exists: the rig controller has set up the issue database gt may write to. */
  beadsReady: boolean;
  /** Every issue whose external_ref names this swarm: its epic and its tasks, also removed ones. */
  issues: Issue[];
  /** Of those, the ids `bd ready` offers now. */
  readyIds: string[];
  /** Of those, the ids with a merge request still waiting in `.gt/merge-queue/<rig>/`. */
  awaitingMerge: string[];
  /** When the issues cannot be read (the rig is gone): the progress this controller last reported. */
  lastKnown?: SwarmDetails;
}

export async function observeSwarm(ctx: ControllerContext, t: Target<Swarm>): Promise<SwarmObserved> {
  const swarm = t.object.manifest;
  const rigName = swarm.spec.rig;
  const rigObject = t.world.objects.find((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === rigName);
  const none: SwarmObserved = { rig: 'missing', beadsReady: false, issues: [], readyIds: [], awaitingMerge: [] };
  const state = !rigObject ? 'missing' : rigObject.deletionRequestedAt !== undefined ? 'removing' : 'present';
  // The town's <rig>/.beads, or for issues kept in the repository the refinery clone they are read through.
  const home = rigBeadsPaths(ctx.root, rigName, (rigObject?.manifest as Rig | undefined)?.spec.beads.location);
  const beadsReady = (await statIfExists(home.location === 'repository' ? path.join(home.clone, '.git') : home.townDir))?.isDirectory() ?? false;
  if (!rigObject || !beadsReady) {
    const lastKnown = state === 'present' ? undefined : await lastReported(ctx, swarm.metadata.name);
    return { ...none, rig: state, ...(lastKnown ? { lastKnown } : {}) };
  }
  const rig = rigObject.manifest as Rig;
  const tracker = await ctx.services.tracker(rig, t.world.town?.manifest);
  const [all, ready] = await Promise.all([tracker.list(), tracker.ready()]);
  const requests = await listDir(path.join(townPaths(ctx.root).mergeQueueDir, rigName));
  let issues = all.filter((i) => belongsTo(swarm.metadata.name, i));
  // `bd list` may leave out dependencies and comments; `bd show` has them. The swarm's issues are few.
  if (tracker.backend === 'bd') issues = (await Promise.all(issues.map((i) => tracker.get(i.id)))).filter((i): i is Issue => i !== undefined);
  const mine = new Set(issues.map((i) => i.id));
  const queued = new Set(requests.filter((n) => n.endsWith('.json') && !n.startsWith('_') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length)));
  return {
    rig: state,
    beadsReady,
    issues,
    readyIds: ready.filter((i) => mine.has(i.id)).map((i) => i.id),
    awaitingMerge: [...mine].filter((id) => queued.has(id)).sort(),
  };
}

async function lastReported(ctx: ControllerContext, swarm: string): Promise<SwarmDetails | undefined> {
  const text = await readTextIfExists(statusFile(ctx.paths.statusDir, 'Swarm', swarm, 'swarm'));
  if (text === undefined) return undefined;
  try {
    const details: unknown = (JSON.parse(text) as { details?: unknown }).details;
    return isSwarmDetails(details) ? details : undefined;
  } catch {
    return undefined; // unreadable: nothing is known
  }
}
