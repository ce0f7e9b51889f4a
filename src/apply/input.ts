import path from 'node:path';
import { fail, type Diagnostic } from '../errors.js';
import { loadSources } from '../manifest/load.js';
import { validateDoc, type ParsedObject } from '../manifest/validate.js';
import { checkCrossObjectRules } from '../manifest/rules.js';
import { keyOf, type Town } from '../model/objects.js';
import { Store, type StoredObject } from '../store/store.js';
import { isTownRoot, locateTown } from '../town/locate.js';
import { townPaths } from '../town/layout.js';

const NO_TOWN = 'no town for these objects: include a Town manifest, pass --town DIR, set GT_TOWN or run inside a town';

export interface ValidInput {
  root: string;
  parsed: ParsedObject[];
  /** What the town's store holds now (empty for a town not created yet). */
  stored: StoredObject[];
}

/**
 * Reads, validates and cross-checks manifests and finds the town they belong to. Every error in
 * the input is collected and reported at once; nothing is written.
 */
export async function readValidInput(files: string[], opts: { town?: string | undefined; prune?: boolean }): Promise<ValidInput> {
  const diagnostics: Diagnostic[] = [];
  const docs = await loadSources(files, diagnostics);
  const parsed = docs.map((d) => validateDoc(d, diagnostics)).filter((p): p is ParsedObject => p !== undefined);
  const inputTown = parsed.find((p) => p.manifest.kind === 'Town');
  const root = resolveRoot(inputTown, opts.town);
  // Without a town, "no Rig named X in the input or the town" would blame the manifest for the town not being found.
  if (!root && docs.length && !diagnostics.length) fail({ kind: 'townNotFound', message: NO_TOWN });
  const stored = root && isTownRoot(root) ? await new Store(townPaths(root).storeDir).list(undefined, { skipUnreadable: true }) : [];
  const inputKeys = new Set(parsed.map((p) => keyOf(p.manifest)));
  const staying = opts.prune ? stored.filter((s) => inputKeys.has(keyOf(s.manifest)) || s.manifest.kind === 'Town') : stored;
  diagnostics.push(...checkCrossObjectRules(parsed, { stored: staying.map((s) => s.manifest) }));
  if (diagnostics.length) fail({ kind: 'invalidInput', diagnostics });
  if (!docs.length) fail({ kind: 'usage', message: `no objects in ${files.join(', ')}` });
  if (!root) fail({ kind: 'townNotFound', message: NO_TOWN });
  if (!inputTown && !stored.some((s) => s.manifest.kind === 'Town')) {
    fail({ kind: 'townNotFound', message: `${root} has no Town object yet: apply a Town manifest first (or together with these)` });
  }
  return { root, parsed, stored };
}

function resolveRoot(inputTown: ParsedObject | undefined, flag: string | undefined): string | undefined {
  const declared = inputTown ? (inputTown.manifest as Town).spec.root : undefined;
  const explicit = flag ?? process.env.GT_TOWN;
  if (declared && explicit && path.resolve(explicit) !== declared) {
    fail({ kind: 'usage', message: `the Town manifest's spec.root is ${declared} but --town/GT_TOWN says ${path.resolve(explicit)}` });
  }
  return declared ?? locateTown({ town: flag });
}
