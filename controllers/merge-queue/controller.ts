import type { Controller } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { describeRefineryAction, refineryActionIsIrreversible, type RefineryAction } from './actions.js';
import { actRefinery } from './act.js';
import { observeRefinery } from './observe.js';
import { planRefinery, type RefineryObserved } from './plan.js';

/** The rig's merge queue, worked in the refinery clone (DESIGN.md §4 merge-queue). */
export const refineryController: Controller<RefineryAction, RefineryObserved, Rig> = {
  name: 'refinery',
  kind: 'Rig',
  observe: (ctx, t) => observeRefinery(ctx, t.object.manifest, t.world),
  plan: (t, o) => planRefinery(t.object.manifest, t.object.deletionRequestedAt !== undefined, o),
  act: (ctx, t, a) => actRefinery(ctx, t, a),
  describe: describeRefineryAction,
  irreversible: refineryActionIsIrreversible,
};
