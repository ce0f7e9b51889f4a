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
    .map((r) => [r.metadata.name, { path: r.metadata.name, gitUrl: r.spec.gitUrl, defaultBranch: r.spec.defaultBranch }] as const);
  return toJsonText({ rigs: Object.fromEntries(entries) });
}

/**
 * .gt/bin/gt: puts this gt on every agent's PATH (the agent contract). Only our own install
 * paths appear in it, single-quoted for sh.
 */
export function renderGtShim(nodePath: string, cliPath: string): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# Rendered by gt: runs the gt that manages this town.\nexec ${q(nodePath)} ${q(cliPath)} "$@"\n`;
}
