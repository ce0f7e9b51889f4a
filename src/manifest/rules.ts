import { describeObject, keyOf, type Manifest } from '../model/objects.js';
import type { Diagnostic } from '../errors.js';
import type { SwarmTask } from '../generated/manifest-types.js';
import type { ParsedObject } from './validate.js';
import type { PathSegment } from './load.js';

/** Rig names that would collide with the town's own directories (DESIGN.md §3). */
const RESERVED_RIG_NAMES = new Set(['config', 'mayor', 'overseer', 'plugins', 'node_modules']);

/** Polecat names whose tmux session (gt-RIG-NAME) would be a role session's. */
const reservedPolecatName = (n: string) => n === 'witness' || n === 'refinery' || n.startsWith('plugin-');

export interface RuleContext {
  /** Objects already stored that stay after this apply (i.e. not pruned). */
  stored: Manifest[];
}

/** The rules that span objects (DESIGN.md §2); every violation is reported, with its place. */
export function checkCrossObjectRules(objects: ParsedObject[], ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (o: ParsedObject, p: PathSegment[], message: string) => out.push({ file: o.doc.file, ...o.doc.locate(p), object: describeObject(o.manifest.kind, o.manifest.metadata.name), message });

  const firstSeen = new Map<string, ParsedObject>();
  for (const o of objects) {
    const key = keyOf(o.manifest);
    const prev = firstSeen.get(key);
    if (prev) report(o, ['metadata', 'name'], `duplicate object: also defined at ${prev.doc.file}:${prev.doc.locate(['metadata', 'name']).line}`);
    else firstSeen.set(key, o);
  }

  const towns = objects.filter((o) => o.manifest.kind === 'Town');
  const storedTown = ctx.stored.find((m) => m.kind === 'Town');
  for (const t of towns.slice(1)) report(t, ['metadata', 'name'], `a town has exactly one Town object; ${describeObject('Town', towns[0]!.manifest.metadata.name)} is also given`);
  if (towns[0] && storedTown && storedTown.metadata.name !== towns[0].manifest.metadata.name) {
    report(towns[0], ['metadata', 'name'], `this town is already "${storedTown.metadata.name}"; a town cannot be renamed (delete it first)`);
  }

  const rigs = new Set([...ctx.stored.filter((m) => m.kind === 'Rig').map((m) => m.metadata.name), ...objects.filter((o) => o.manifest.kind === 'Rig').map((o) => o.manifest.metadata.name)]);
  for (const o of objects) {
    const m = o.manifest;
    if (m.kind === 'Rig' && RESERVED_RIG_NAMES.has(m.metadata.name)) {
      report(o, ['metadata', 'name'], `metadata.name "${m.metadata.name}" is reserved for the town's own directory`);
    }
    if (m.kind === 'Rig') {
      (m.spec.workers.names ?? []).forEach((n, i) => {
        if (reservedPolecatName(n))
          report(o, ['spec', 'workers', 'names', i], `spec.workers.names[${i}] "${n}" is reserved: its session would be the rig's ${n.startsWith('plugin-') ? 'plugin' : n} session`);
      });
    }
    if (m.kind === 'Plugin' && m.spec.rig !== undefined && !rigs.has(m.spec.rig)) {
      report(o, ['spec', 'rig'], `spec.rig: no Rig named "${m.spec.rig}" in the input or the town`);
    }
    if (m.kind === 'Swarm') {
      if (!rigs.has(m.spec.rig)) report(o, ['spec', 'rig'], `spec.rig: no Rig named "${m.spec.rig}" in the input or the town`);
      checkTasks(m.spec.tasks, (p, msg) => report(o, ['spec', 'tasks', ...p], msg));
    }
  }
  return out;
}

type Task = Pick<SwarmTask, 'id' | 'dependsOn'>;

function checkTasks(tasks: Task[], report: (p: PathSegment[], message: string) => void): void {
  const index = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (index.has(t.id)) report([i, 'id'], `spec.tasks[${i}].id "${t.id}" is already used by spec.tasks[${index.get(t.id)}]`);
    else index.set(t.id, i);
  });
  tasks.forEach((t, i) =>
    t.dependsOn.forEach((d, j) => {
      if (d === t.id) report([i, 'dependsOn', j], `spec.tasks[${i}].dependsOn: task "${t.id}" depends on itself`);
      else if (!index.has(d)) report([i, 'dependsOn', j], `spec.tasks[${i}].dependsOn: no task with id "${d}"`);
    }),
  );
  const cycle = findCycle(tasks, index);
  if (cycle) report([index.get(cycle[0]!)!, 'dependsOn'], `spec.tasks: dependency cycle ${cycle.join(' -> ')}`);
}

/**
 * Depth-first search for a cycle among known ids; returns it as a closed path (a -> b -> a).
 * Iterative, with an explicit stack: a chain of 20,000 tasks is as deep as the search goes, far
 * past the call stack. Each task and each dependsOn is visited once.
 */
function findCycle(tasks: Task[], index: Map<string, number>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  for (const root of tasks) {
    if (state.has(root.id)) continue;
    // The open path, each entry with the position of the next dependsOn to follow.
    const path: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    state.set(root.id, 'open');
    while (path.length) {
      const top = path[path.length - 1]!;
      const deps = tasks[index.get(top.id)!]!.dependsOn;
      if (top.next === deps.length) {
        state.set(top.id, 'done');
        path.pop();
        continue;
      }
      const d = deps[top.next++]!;
      if (d === top.id || !index.has(d) || state.get(d) === 'done') continue;
      if (state.get(d) === 'open') return [...path.slice(path.findIndex((p) => p.id === d)).map((p) => p.id), d];
      state.set(d, 'open');
      path.push({ id: d, next: 0 });
    }
  }
  return undefined;
}
