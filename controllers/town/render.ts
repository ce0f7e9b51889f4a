import { toJsonText } from '../../src/util/atomic.js';
import type { Rig, Town } from '../../src/model/objects.js';

/** config/town.json, as in the seed: {"type": "town", "name": …}. */
export function renderTownJson(town: Town): string {
  return toJsonText({ type: 'town', name: town.metadata.name, managedBy: 'gt' });
}

/** config/rigs.json: the registry of rigs, sorted by name so the file is stable. */
export function renderRigsJson(rigs: Rig[]): string {
  const entries = [...rigs]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((r) => [r.metadata.name, { path: r.metadata.name, gitUrl: r.spec.gitUrl, defaultBranch: r.spec.defaultBranch }]);
  return toJsonText({ rigs: Object.fromEntries(entries) });
}
