import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './support/town.js';
import { withDefaults } from './support/manifests.js';
import { unappliedTown } from '../src/manifest/validate.js';
import { parseJson } from './support/json.js';

describe('schemas are the single source of truth', () => {
  it('src/generated/manifest-types.ts is exactly what scripts/gen-types.mjs derives from schemas/', () => {
    const run = () => execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'gen-types.mjs'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
    expect(run).not.toThrow();
  });
});

type Schema = { $ref?: string; default?: unknown; properties?: Record<string, Schema>; items?: Schema; definitions?: Record<string, Schema> };
const schema = (name: string): Schema => parseJson<Schema>(readFileSync(path.join(REPO_ROOT, 'schemas', `${name}.schema.json`), 'utf8'));
const common = schema('common');

function resolve(s: Schema): Schema {
  const ref = s.$ref && /#\/definitions\/(\w+)$/.exec(s.$ref)?.[1];
  return ref ? { ...common.definitions![ref], ...s, $ref: undefined } : s;
}

/** Paths of every field that has a schema default but is missing from `value`. */
function missingDefaults(s: Schema, value: unknown, at: string): string[] {
  const r = resolve(s);
  if (Array.isArray(value) && r.items) return value.flatMap((v, i) => missingDefaults(r.items!, v, `${at}[${i}]`));
  if (!r.properties || typeof value !== 'object' || value === null) return [];
  const v = value as Record<string, unknown>;
  return Object.entries(r.properties).flatMap(([k, p]) => (k in v ? missingDefaults(p, v[k], `${at}.${k}`) : 'default' in resolve(p) ? [`${at}.${k}`] : []));
}

// The generated types make every field with a default required, so the code reads them without
// a fallback: validation must fill in each one, nested ones (spec.workers.max) included.
describe('validation fills in every default the types promise', () => {
  it.each([
    ['town', withDefaults('Town', 't', { root: '/srv/town' })],
    ['rig', withDefaults('Rig', 'r', { gitUrl: '/srv/r.git' })],
    ['swarm', withDefaults('Swarm', 's', { rig: 'r', title: 'S', tasks: [{ id: 'a', title: 'A' }] })],
    ['plugin', withDefaults('Plugin', 'p', { instructions: 'check', hooks: ['beforeMerge'] })],
    ['town', unappliedTown('/srv/town')],
  ])('%s', (kind, manifest) => {
    expect(missingDefaults(schema(kind), manifest, kind)).toEqual([]);
    expect(missingDefaults(schema(kind), { spec: {} }, kind).length).toBeGreaterThan(0);
  });

  it('keeps what the user wrote over a default', () => {
    const rig = withDefaults('Rig', 'r', { gitUrl: '/srv/r.git', workers: { max: 7 } });
    expect(rig.spec.workers).toMatchObject({ max: 7, maxRestarts: 3 });
  });
});
