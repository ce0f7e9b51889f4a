import type { Controller, Plan } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import { actFileAction, describeFileAction, planFiles, type FileAction } from '../common/file-actions.js';
import { observePaths, type PathsObserved } from '../common/observe-fs.js';
import { renderGtShim, renderRigsJson, renderTownJson } from './render.js';
import path from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

export type TownAction = FileAction;

const DIRS = ['config', 'mayor', 'overseer'];
const FILES = ['config/town.json', 'config/rigs.json', '.gt/bin/gt'];
/** The bundled CLI, package.json's `bin`: agents call the same gt as the person at the terminal. */
const CLI = path.join(packageRoot(), 'dist', 'bundle', 'main.js');

export type TownObserved = PathsObserved;

/** Town-level layout (DESIGN.md §3): config/town.json, config/rigs.json and the mayor's home. */
export const townController: Controller<TownAction, TownObserved, Town> = {
  name: 'town',
  kind: 'Town',
  observe: async (ctx) => observePaths(ctx.root, { dirs: DIRS, files: FILES, present: [] }),
  plan(target, observed): Plan<TownAction> {
    const rigs = target.world.objects.filter((o) => o.manifest.kind === 'Rig').map((o) => o.manifest as Rig);
    return {
      actions: planFiles(
        { dirs: DIRS, rendered: { 'config/town.json': renderTownJson(target.object.manifest), 'config/rigs.json': renderRigsJson(rigs) }, executables: { '.gt/bin/gt': renderGtShim(process.execPath, CLI) }, seeded: {} },
        observed,
      ),
      findings: [],
    };
  },
  act: (ctx, _target, action) => actFileAction(ctx.root, action),
  describe: describeFileAction,
  irreversible: () => false,
};
