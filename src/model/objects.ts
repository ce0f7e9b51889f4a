import type { Town, Rig, Swarm, Plugin } from '../generated/manifest-types.js';

export type { Town, Rig, Swarm, Plugin };
export const API_VERSION = 'gastown.dev/v1alpha1';
export const KINDS = ['Town', 'Rig', 'Swarm', 'Plugin'] as const;
export type Kind = (typeof KINDS)[number];

/** Kinds whose removal needs cleanup first: deleting marks them, their controller removes the record when done. */
export const FINALIZED_KINDS: ReadonlySet<Kind> = new Set<Kind>(['Rig', 'Swarm', 'Plugin']);

/** A manifest object as gt acts on it: the user's document with the schema's defaults filled in and local paths resolved. */
export type Manifest = Town | Rig | Swarm | Plugin;
export type ManifestOf<K extends Kind> = Extract<Manifest, { kind: K }>;

/** "Rig/wyvern": the key of an object in the store, the work queue and the events log. */
export type ObjectKey = `${Kind}/${string}`;

export function keyOf(o: { kind: Kind; metadata: { name: string } }): ObjectKey {
  return `${o.kind}/${o.metadata.name}`;
}

export function parseKey(key: string): { kind: Kind; name: string } {
  const i = key.indexOf('/');
  const kind = key.slice(0, i) as Kind;
  if (i < 0 || !KINDS.includes(kind)) throw new Error(`not an object key: ${key}`);
  return { kind, name: key.slice(i + 1) };
}

/** Accepts what people type after `gt get`/`gt delete`: rig, rigs, Rig. */
export function kindFromWord(word: string): Kind | undefined {
  const w = word.toLowerCase().replace(/s$/, '');
  return KINDS.find((k) => k.toLowerCase() === w);
}

export function describeObject(kind: Kind, name: string): string {
  return `${kind} "${name}"`;
}

/** Kinds in the order they must be created (and the reverse for deletion). */
export const KIND_ORDER: Record<Kind, number> = { Town: 0, Rig: 1, Plugin: 2, Swarm: 3 };
