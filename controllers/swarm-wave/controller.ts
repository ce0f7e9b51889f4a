import type { Controller } from '../../src/engine/controller.js';
import type { Swarm } from '../../src/model/objects.js';
import { describeSwarmAction, swarmActionIsIrreversible, type SwarmAction } from './actions.js';
import { actSwarm, actSwarmBatch, writesIssues } from './act.js';
import { observeSwarm, type SwarmObserved } from './observe.js';
import { planSwarm } from './plan.js';

/**
 * Renders a Swarm into beads: one epic, a child issue per task, a `blocks` dependency per
 * dependsOn, all keyed by external_ref; reports waves and progress (DESIGN.md §4 swarm-wave).
 */
export const swarmController: Controller<SwarmAction, SwarmObserved, Swarm> = {
  name: 'swarm',
  kind: 'Swarm',
  observe: (ctx, t) => observeSwarm(ctx, t),
  plan: (t, o) => planSwarm(t.object.manifest, t.object.deletionRequestedAt !== undefined, o),
  act: (ctx, t, a) => actSwarm(ctx, t, a),
  describe: describeSwarmAction,
  irreversible: swarmActionIsIrreversible,
  batch: { accepts: writesIssues, act: actSwarmBatch },
};
