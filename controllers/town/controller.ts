import path from 'node:path';
import type { Controller } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import { packageRoot } from '../../src/util/package-root.js';
import { actFileAction, describeFileAction } from '../common/file-actions.js';
import { observePaths } from '../common/observe-fs.js';
import { planTown, TOWN_DIRS, TOWN_PLANNED_FILES, type TownAction, type TownObserved } from './plan.js';

/** Observation: this process's node and the bundled CLI (package.json's `bin`), found on disk. */
function runningGt(): TownObserved['gt'] {
  return { node: process.execPath, cli: path.join(packageRoot(), 'dist', 'bundle', 'main.js') };
}

/** Town-level layout (DESIGN.md §3): config/town.json, config/rigs.json and the mayor's home. */
export const townController: Controller<TownAction, TownObserved, Town> = {
  name: 'town',
  kind: 'Town',
  observe: async (ctx) => ({ ...(await observePaths(ctx.root, { dirs: TOWN_DIRS, files: TOWN_PLANNED_FILES, present: [] })), gt: runningGt() }),
  plan: (target, observed) =>
    planTown(
      target.object.manifest,
      target.world.objects.filter((o) => o.manifest.kind === 'Rig').map((o) => o.manifest as Rig),
      observed,
    ),
  act: (ctx, _target, action) => actFileAction(ctx.root, action),
  describe: describeFileAction,
  irreversible: () => false,
};
