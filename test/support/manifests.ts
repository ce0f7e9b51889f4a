import type { Kind, ManifestOf } from '../../src/model/objects.js';
import { validateDoc } from '../../src/manifest/validate.js';
import type { Diagnostic } from '../../src/errors.js';

/** A manifest as a user may write it: every field may be left to its schema default. */
export type Written<T> = T extends readonly (infer E)[] ? readonly Written<E>[] : T extends object ? { [K in keyof T]?: Written<T[K]> } : T;

/**
 * The manifest as the controllers get it: checked by the real schema, defaults filled in, as
 * `gt apply` stores it. Throws the diagnostics of an invalid one, so a fixture cannot drift from
 * the schema.
 */
export function withDefaults<K extends Kind>(kind: K, name: string, spec: Written<ManifestOf<K>['spec']>): ManifestOf<K> {
  const value = { apiVersion: 'gastown.dev/v1alpha1', kind, metadata: { name }, spec };
  const diagnostics: Diagnostic[] = [];
  const parsed = validateDoc({ file: 'fixture', baseDir: '/', index: 1, value, locate: () => ({ line: 1, col: 1 }) }, diagnostics);
  if (!parsed) throw new Error(`invalid ${kind} fixture: ${diagnostics.map((d) => d.message).join('; ')}`);
  return parsed.manifest as ManifestOf<K>;
}
