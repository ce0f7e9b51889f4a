import path from 'node:path';
import { keyOf, type ObjectKey } from '../model/objects.js';
import { townPaths } from '../town/layout.js';
import type { DesiredWorld } from './controller.js';

/**
 * Which objects a change of one watched file concerns: the loop reconciles those, not the whole
 * town. Pure, so the rule can be read in one place and tested as a table. `'everything'` where
 * the file is not one object's (the desired state).
 */
export function objectsWokenBy(file: string, root: string, world: DesiredWorld): ObjectKey[] | 'everything' {
  const p = townPaths(root);
  // Worker records and merge requests live per rig: .gt/workers/<rig>/, .gt/merge-queue/<rig>/.
  const perRig = within(p.workersDir, file) ?? within(p.mergeQueueDir, file);
  if (perRig?.[0]) return rigAndDependents(perRig[0], world);
  if (within(p.gtDir, file)) return 'everything';
  const parts = within(root, file) ?? [];
  if (parts.length > 1 && isRig(parts[0]!, world)) return rigAndDependents(parts[0]!, world);
  return townLevel(world);
}

/** `file`'s path segments below `dir`, or undefined when it is not below it. */
function within(dir: string, file: string): string[] | undefined {
  const rel = path.relative(dir, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep) : undefined;
}

function isRig(name: string, world: DesiredWorld): boolean {
  return world.objects.some((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === name);
}

/** A rig's issues, workers, clones and inboxes: the rig's controllers, its swarms, and the plugins that may serve it. */
function rigAndDependents(rig: string, world: DesiredWorld): ObjectKey[] {
  const out: ObjectKey[] = [];
  for (const o of world.objects) {
    const m = o.manifest;
    if (m.kind === 'Rig' && m.metadata.name === rig) out.push(keyOf(m));
    else if (m.kind === 'Swarm' && m.spec.rig === rig) out.push(keyOf(m));
    else if (m.kind === 'Plugin' && (m.spec.rig ?? rig) === rig) out.push(keyOf(m));
  }
  return out;
}

/** The town's own agents (mayor, overseer's inbox, town-wide plugins). */
function townLevel(world: DesiredWorld): ObjectKey[] {
  return world.objects.filter((o) => o.manifest.kind === 'Town' || (o.manifest.kind === 'Plugin' && o.manifest.spec.rig === undefined)).map((o) => keyOf(o.manifest));
}

/**
 * The directories whose entries the loop watches (each one level deep, never a clone's tree):
 * what agents and other programs change without telling gt. `agentDirs`: every existing agent
 * home (a polecat's clone, a witness, a plugin), whose state.json and mail/ are watched.
 */
export function watchedDirs(root: string, world: DesiredWorld, agentDirs: readonly string[]): string[] {
  const dirs = new Set<string>();
  const add = (...p: string[]) => dirs.add(path.join(root, ...p));
  for (const o of world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const rig = o.manifest.metadata.name;
    add(rig, '.beads');
    add(rig, 'polecats');
    dirs.add(path.join(townPaths(root).workersDir, rig));
    dirs.add(path.join(townPaths(root).mergeQueueDir, rig));
  }
  for (const home of agentDirs) {
    dirs.add(home);
    dirs.add(path.join(home, 'mail'));
  }
  add('overseer', 'mail');
  return [...dirs].sort();
}
