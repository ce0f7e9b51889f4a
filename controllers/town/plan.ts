import type { Plan } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import { planFiles, type FileAction } from '../common/file-actions.js';
import type { PathsObserved } from '../common/observe-fs.js';
import { renderGtShim, renderRigsJson, renderTownJson } from './render.js';
import { TOWN_FILES } from '../../src/town/layout.js';

export type TownAction = FileAction;

export const TOWN_DIRS = ['config', 'mayor', 'overseer'];
export const TOWN_PLANNED_FILES = Object.values(TOWN_FILES);

export interface TownObserved extends PathsObserved {
  /** The gt running now, which the town's shim runs: agents call the same gt as the person at the terminal. */
  gt: { node: string; cli: string };
}

/** Pure: the town's own files and directories. */
export function planTown(town: Town, rigs: Rig[], observed: TownObserved): Plan<TownAction> {
  return {
    actions: planFiles(
      {
        dirs: TOWN_DIRS,
        rendered: { [TOWN_FILES.townJson]: renderTownJson(town), [TOWN_FILES.rigsJson]: renderRigsJson(rigs) },
        executables: { [TOWN_FILES.gtShim]: renderGtShim(observed.gt.node, observed.gt.cli) },
        seeded: {},
      },
      observed,
    ),
    findings: [],
  };
}
