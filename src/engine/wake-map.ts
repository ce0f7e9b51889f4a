import path from 'node:path';
import { keyOf, type ObjectKey } from '../model/objects.js';
import type { DesiredWorld } from './controller.js';

/**
 * Which objects a change of one watched file concerns, from its path relative to the town root:
 * the loop reconciles those, not the whole town. Pure, so the rule can be read in one place and
 * tested as a table. `'everything'` where the file is not one object's (the desired state).
 */
export function objectsWokenBy(rel: string, world: DesiredWorld): ObjectKey[] | 'everything' {
  const parts = rel.split(path.sep);
  if (parts[0] === '.gt') {
    // Worker records and merge requests live per rig under .gt/<what>/<rig>/.
    if ((parts[1] === 'workers' || parts[1] === 'merge-queue') && parts[2]) return rigAndDependents(parts[2], world);
    return 'everything';
  }
  if (parts.length > 1 && isRig(parts[0]!, world)) return rigAndDependents(parts[0]!, world);
  return townLevel(world);
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
    add('.gt', 'workers', rig);
    add('.gt', 'merge-queue', rig);
  }
  for (const home of agentDirs) {
    dirs.add(home);
    dirs.add(path.join(home, 'mail'));
  }
  add('overseer', 'mail');
  return [...dirs].sort();
}
