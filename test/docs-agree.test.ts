import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { townSocket } from '../src/town/services.js';
import type { Town } from '../src/model/objects.js';
import { REPO_ROOT } from './support/town.js';

const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), 'utf8');
const schemaFiles = readdirSync(path.join(REPO_ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json'));

/** Every property with a `default` in schemas/*.schema.json: its name, default and where it is. */
function schemaDefaults(): { name: string; value: unknown; at: string }[] {
  const out: { name: string; value: unknown; at: string }[] = [];
  const walk = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    for (const [name, prop] of Object.entries((n.properties as Record<string, Record<string, unknown>> | undefined) ?? {})) {
      if (prop && 'default' in prop) out.push({ name, value: prop.default, at: `${at}/properties/${name}` });
    }
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
  };
  for (const f of schemaFiles) walk(JSON.parse(read(path.join('schemas', f))), f);
  return out;
}

/** `x.NAME ?? LITERAL` in gt's own code: the places a default is applied again after the schema's. */
function codeFallbacks(): { name: string; value: unknown; at: string }[] {
  const out: { name: string; value: unknown; at: string }[] = [];
  const re = /\.\s*([A-Za-z_$][\w$]*)\s*\?\?\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?\b|true\b|false\b|\[\]|\{\})/g;
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (rel !== path.join('src', 'generated')) walk(rel);
      } else if (e.name.endsWith('.ts')) {
        const text = read(rel);
        for (const m of text.matchAll(re)) {
          const literal = m[2]!;
          const value = (literal.startsWith("'") ? JSON.parse(`"${literal.slice(1, -1).replace(/"/g, '\\"')}"`) : JSON.parse(literal)) as unknown;
          out.push({ name: m[1]!, value, at: `${rel}:${text.slice(0, m.index).split('\n').length}` });
        }
      }
    }
  };
  walk('src');
  walk('controllers');
  return out;
}

/** Fallbacks on a field that shares a schema property's name but is not that property. */
const NOT_SPEC: Record<string, string> = {
  'src/cli/commands/mail.ts priority': "a mail's priority (low, normal, high, urgent)",
  'controllers/refinery/plan.ts priority': 'an issue gt cannot read sorts last in the merge queue',
};

describe('docs and code agree where a fact is checkable', () => {
  it("every schema default is the default the code falls back to (x.field ?? literal)", () => {
    const defaults = schemaDefaults();
    const byName = new Map<string, typeof defaults>();
    for (const d of defaults) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
    const checked = codeFallbacks().filter((f) => byName.has(f.name) && !NOT_SPEC[`${f.at.split(':')[0]} ${f.name}`]);
    const mismatches = checked.flatMap((f) =>
      byName
        .get(f.name)!
        .filter((d) => JSON.stringify(d.value) !== JSON.stringify(f.value))
        .map((d) => `${f.at}: ${f.name} ?? ${JSON.stringify(f.value)}, but ${d.at} says default ${JSON.stringify(d.value)}`),
    );
    expect(mismatches).toEqual([]);
    // The scan finds the fallbacks it is meant to check (a test that checks nothing proves nothing).
    for (const name of ['idleAfter', 'handoffTimeout', 'maxRestarts', 'timeout', 'defaultVerdict', 'strategy', 'testTimeout', 'max', 'spawnDelay', 'stuckAfter', 'maxNudges', 'breakerThreshold', 'backend', 'priority']) {
      expect(checked.map((f) => f.name), name).toContain(name);
    }
  });

  it("the Town schema's tmux socket default is the path gt derives, and so is its fallback for a long root", () => {
    type Properties = Record<string, { description?: string; properties?: Properties }>;
    const town = JSON.parse(read('schemas/town.schema.json')) as { properties: Properties };
    const description = town.properties.spec?.properties?.tmux?.properties?.socket?.description ?? '';
    const word = '((?:<[^>]+>|[^\\s<,;])+?)[,.;]?(?:\\s|$)';
    const described = new RegExp(`Defaults to ${word}`).exec(description)?.[1];
    const fallback = new RegExp(`\\(107 bytes\\), ${word}`).exec(description)?.[1];
    expect(described, description).toBeDefined();
    expect(fallback, description).toBeDefined();
    const asPattern = (text: string, root: string) => new RegExp(`^${text.replaceAll('.', '\\.').replace('<town root>', root).replace('<hash>', '[0-9a-f]{12}')}$`);
    const manifest = (root: string) => ({ apiVersion: 'gastown.dev/v1alpha1', kind: 'Town', metadata: { name: 'wyvern' }, spec: { root } }) as Town;
    expect(townSocket('/srv/town', manifest('/srv/town'))).toMatch(asPattern(described!, '/srv/town'));
    const long = `/srv/${'x'.repeat(100)}`;
    expect(townSocket(long, manifest(long))).toMatch(asPattern(fallback!, long));
    expect(townSocket(long, { ...manifest(long), spec: { root: long, tmux: { socket: 'mine' } } })).toBe('mine');
  });

  it('what the README says gt uses and does not use, package.json agrees with', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
    const stack = read('README.md').slice(read('README.md').indexOf('### Stack changes'));
    const unused = [...stack.matchAll(/([\w-]+) is not used/g)].map((m) => m[1]!);
    expect(unused).toContain('simple-git');
    expect(deps.filter((d) => unused.includes(d))).toEqual([]);
    expect(stack).toContain('**execa starts every program');
    expect(pkg.dependencies).toHaveProperty('execa');
  });
});
