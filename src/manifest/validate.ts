import { readFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { packageRoot } from '../util/package-root.js';
import { API_VERSION, KINDS, describeObject, type Kind, type Manifest, type Town } from '../model/objects.js';
import type { Diagnostic } from '../errors.js';
import type { PathSegment, SourceDoc } from './load.js';

/** A document that passed its schema: defaults filled in, local paths resolved. */
export interface ParsedObject {
  manifest: Manifest;
  /** The document as written, stored as the object's last-applied manifest. */
  written: Record<string, unknown>;
  doc: SourceDoc;
}

let validators: Map<Kind, ValidateFunction> | undefined;

function schemaValidators(): Map<Kind, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
  addFormats.default(ajv);
  const dir = path.join(packageRoot(), 'schemas');
  ajv.addSchema(JSON.parse(readFileSync(path.join(dir, 'common.schema.json'), 'utf8')) as AnySchema);
  validators = new Map();
  for (const kind of KINDS) {
    const schema = JSON.parse(readFileSync(path.join(dir, `${kind.toLowerCase()}.schema.json`), 'utf8')) as AnySchema;
    validators.set(kind, ajv.compile(schema));
  }
  return validators;
}

/** Checks one document against its kind's schema; on success returns the defaulted object. */
export function validateDoc(doc: SourceDoc, diagnostics: Diagnostic[]): ParsedObject | undefined {
  const at = (p: PathSegment[], key = false) => doc.locate(p, key);
  const push = (p: PathSegment[], message: string, object?: string, key = false) => diagnostics.push({ file: doc.file, ...at(p, key), ...(object ? { object } : {}), message });

  const v = doc.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    push([], `document ${doc.index} must be a mapping with apiVersion, kind, metadata and spec`);
    return undefined;
  }
  const written = v as Record<string, unknown>;
  if (written.apiVersion !== API_VERSION) {
    push(['apiVersion'], `apiVersion: ${written.apiVersion === undefined ? 'missing' : `unknown ${JSON.stringify(written.apiVersion)}`} (expected ${API_VERSION})`);
    return undefined;
  }
  const kind = written.kind as Kind;
  if (!KINDS.includes(kind)) {
    push(['kind'], `kind: ${written.kind === undefined ? 'missing' : `unknown kind ${JSON.stringify(written.kind)}`} (expected one of ${KINDS.join(', ')})`);
    return undefined;
  }
  const name = (written.metadata as { name?: unknown } | undefined)?.name;
  const object = typeof name === 'string' && name ? describeObject(kind, name) : `${kind} (document ${doc.index})`;

  const copy = structuredClone(written);
  const validate = schemaValidators().get(kind)!;
  if (!validate(copy)) {
    for (const e of simplify(validate.errors ?? [])) {
      const { path: p, message, pointAtKey } = explain(e);
      push(p, message, object, pointAtKey);
    }
    return undefined;
  }
  const manifest = copy as unknown as Manifest;
  const before = diagnostics.length;
  resolvePaths(manifest, doc, (p, m) => push(p, m, object));
  return diagnostics.length === before ? { manifest, written, doc } : undefined;
}

/**
 * The Town of a root with no Town object stored (the store emptied, the Town deleted after its
 * rigs): its spec is all schema defaults, filled in by the schema like any applied one, so no
 * caller repeats a default for the missing-Town case.
 */
export function unappliedTown(root: string): Town {
  const value = { apiVersion: API_VERSION, kind: 'Town', metadata: { name: 'town' }, spec: { root } };
  const validate = schemaValidators().get('Town')!;
  if (!validate(value)) throw new Error(`the Town schema rejects a bare Town at ${root}: ${JSON.stringify(validate.errors)}`);
  return value as unknown as Town;
}

/** Relative paths in a manifest mean "next to this file", as in docker-compose, not "wherever gt was run". */
function resolvePaths(m: Manifest, doc: SourceDoc, report: (p: PathSegment[], message: string) => void): void {
  if (m.kind === 'Town') m.spec.root = resolveLocal(m.spec.root, doc.baseDir);
  if (m.kind === 'Rig') {
    const url = m.spec.gitUrl;
    if (url.startsWith('-')) report(['spec', 'gitUrl'], 'spec.gitUrl must not start with "-"');
    else if (/^(ext|fd)::/i.test(url)) report(['spec', 'gitUrl'], 'spec.gitUrl: the ext:: and fd:: transports run commands and are not allowed');
    else if (!isRemoteUrl(url)) m.spec.gitUrl = resolveLocal(url, doc.baseDir);
  }
}

export function isRemoteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/\s]+@[^/\s:]+:/.test(url);
}

function resolveLocal(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  if (p.startsWith('file://')) return p;
  return path.resolve(baseDir, p);
}

/** ajv reports a failed `required` once per missing field and sometimes repeats type errors; keep one per place and kind. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const id = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function pointerToPath(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function dotted(p: PathSegment[]): string {
  let out = '';
  for (const s of p) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out || '(document)';
}

function explain(e: ErrorObject): { path: PathSegment[]; message: string; pointAtKey: boolean } {
  const p = pointerToPath(e.instancePath);
  const schema = e.parentSchema as { description?: string } | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const guess = closest(extra, known);
      return {
        path: [...p, extra],
        message: `${dotted([...p, extra])}: unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; known fields: ${known.join(', ')}`,
        pointAtKey: true,
      };
    }
    case 'required':
      return { path: p, message: `${dotted([...p, (e.params as { missingProperty: string }).missingProperty])} is required`, pointAtKey: false };
    case 'enum':
      return { path: p, message: `${dotted(p)} must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`, pointAtKey: false };
    case 'pattern':
      return { path: p, message: `${dotted(p)} ${JSON.stringify(e.data)} is not valid${schema?.description ? `: ${schema.description}` : ''}`, pointAtKey: false };
    case 'propertyNames':
      return { path: p, message: `${dotted(p)} has an invalid key: ${e.message}`, pointAtKey: false };
    default:
      return { path: p, message: `${dotted(p)} ${e.message ?? 'is not valid'}`, pointAtKey: false };
  }
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
