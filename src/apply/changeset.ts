import { keyOf, KIND_ORDER, type Manifest, type ObjectKey } from '../model/objects.js';
import type { StoredObject } from '../store/store.js';

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** One desired-state change an apply (or delete) makes to the store. */
export type Change =
  | { op: 'create'; key: ObjectKey; next: StoredObject }
  | { op: 'configure'; key: ObjectKey; next: StoredObject; fields: FieldChange[]; specChanged: boolean; cancelsDeletion: boolean }
  | { op: 'unchanged'; key: ObjectKey }
  | { op: 'delete'; key: ObjectKey; prev: StoredObject };

export interface Incoming {
  manifest: Manifest;
  written: Record<string, unknown>;
  source: string;
}

/** Pure: the changes that storing `incoming` (and, with prune, dropping the rest) makes. */
export function computeChanges(incoming: Incoming[], stored: StoredObject[], opts: { prune: boolean; now: string }): Change[] {
  const byKey = new Map(stored.map((s) => [keyOf(s.manifest), s]));
  const changes: Change[] = [];
  for (const inc of incoming) {
    const key = keyOf(inc.manifest);
    const prev = byKey.get(key);
    const manifest = stripStatus(inc.manifest);
    if (!prev) {
      changes.push({ op: 'create', key, next: { manifest, generation: 1, createdAt: opts.now, updatedAt: opts.now, lastApplied: stripStatusRecord(inc.written), source: inc.source } });
      continue;
    }
    const fields = diffValues('spec', prev.manifest.spec, manifest.spec);
    const labelsChanged = canonical(prev.manifest.metadata.labels ?? {}) !== canonical(manifest.metadata.labels ?? {});
    const cancelsDeletion = prev.deletionRequestedAt !== undefined;
    if (!fields.length && !labelsChanged && !cancelsDeletion) {
      changes.push({ op: 'unchanged', key });
      continue;
    }
    if (labelsChanged) fields.push({ path: 'metadata.labels', from: prev.manifest.metadata.labels ?? {}, to: manifest.metadata.labels ?? {} });
    const specChanged = fields.some((f) => f.path.startsWith('spec'));
    const { deletionRequestedAt: _dropped, ...rest } = prev;
    changes.push({
      op: 'configure',
      key,
      fields,
      specChanged,
      cancelsDeletion,
      next: { ...rest, manifest, generation: prev.generation + (specChanged ? 1 : 0), updatedAt: opts.now, lastApplied: stripStatusRecord(inc.written), source: inc.source },
    });
  }
  if (opts.prune) {
    const kept = new Set(incoming.map((i) => keyOf(i.manifest)));
    // The Town is never pruned: removing it is `gt delete town NAME`, on purpose.
    for (const s of stored) if (!kept.has(keyOf(s.manifest)) && s.manifest.kind !== 'Town' && !s.deletionRequestedAt) changes.push({ op: 'delete', key: keyOf(s.manifest), prev: s });
  }
  return changes.sort((a, b) => order(a) - order(b));
}

function order(c: Change): number {
  const kind = c.key.slice(0, c.key.indexOf('/')) as keyof typeof KIND_ORDER;
  return c.op === 'delete' ? 100 - KIND_ORDER[kind] : KIND_ORDER[kind];
}

function stripStatus(m: Manifest): Manifest {
  const { status: _status, ...rest } = m;
  return rest;
}

function stripStatusRecord(w: Record<string, unknown>): Record<string, unknown> {
  const { status: _status, ...rest } = w;
  return rest;
}

/** JSON with sorted keys, so that key order in a manifest never counts as a change. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : val,
  );
}

/** Leaf-level differences between two JSON values; arrays count as leaves. */
export function diffValues(at: string, a: unknown, b: unknown): FieldChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffValues(`${at}.${k}`, a[k], b[k]));
  }
  return canonical(a) === canonical(b) ? [] : [{ path: at, from: a, to: b }];
}

/** The store as it would be after the changes: what `gt diff -f` plans against. */
export function applyToWorld(stored: StoredObject[], changes: Change[], now: string): StoredObject[] {
  const byKey = new Map(stored.map((s) => [keyOf(s.manifest), s]));
  for (const c of changes) {
    if (c.op === 'create' || c.op === 'configure') byKey.set(c.key, c.next);
    if (c.op === 'delete') byKey.set(c.key, { ...c.prev, deletionRequestedAt: now });
  }
  return [...byKey.values()].sort((a, b) => KIND_ORDER[a.manifest.kind] - KIND_ORDER[b.manifest.kind] || a.manifest.metadata.name.localeCompare(b.manifest.metadata.name));
}
