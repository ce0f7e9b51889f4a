import type { Controller } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { describeRigAction, rigActionIsIrreversible, type RigAction } from './actions.js';
import { actRig } from './act.js';
import { observeRig, type RigObserved } from './observe.js';
import { planRig } from './plan.js';

/** Rig layout, rendered config, beads seed and the refinery and mayor clones; safe removal (DESIGN.md §4 rig). */
export const rigController: Controller<RigAction, RigObserved, Rig> = {
  name: 'rig',
  kind: 'Rig',
  observe: (ctx, t) =>
    observeRig(ctx, t.object.manifest.metadata.name, t.object.deletionRequestedAt !== undefined, {
      workerRecords: (rig) => ctx.services.workers.list(rig),
      roleSessions: async (rig) => (await ctx.services.sessions(t.world.town?.manifest)).filter((s) => !s.dead && s.meta.rig === rig && s.meta.role && s.meta.role !== 'polecat').map((s) => s.name),
    }),
  plan: (t, o) => planRig(t.object.manifest, t.object.deletionRequestedAt !== undefined, o),
  act: (ctx, _t, a) => actRig(ctx, a),
  describe: describeRigAction,
  irreversible: rigActionIsIrreversible,
  // Each clone goes into its own directory from the same remote: the refinery's and the mayor's
  // clones of a large repository download at the same time.
  concurrent: (a) => a.type === 'createClone',
};
