import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { townSocket } from '../src/town/services.js';
import { withDefaults } from './support/manifests.js';
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

/** `x.NAME ?? LITERAL` in gt's own code: a default applied again after the schema's. */
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
  'controllers/merge-queue/plan.ts priority': 'an issue gt cannot read sorts last in the merge queue',
  'src/beads/jsonl.ts description': "a new issue's fields, from gt issues create or a swarm task",
  'src/beads/jsonl.ts priority': "a new issue's fields, from gt issues create or a swarm task",
  'controllers/worker-pool/act.ts description': "the polecat's issue, when gt could not read it",
};

describe('docs and code agree where a fact is checkable', () => {
  it('no code repeats a schema default as a fallback (x.field ?? literal): validation fills them in', () => {
    const defaulted = new Set(schemaDefaults().map((d) => d.name));
    const fallbacks = codeFallbacks();
    // The scan sees fallbacks at all (a test that checks nothing proves nothing).
    expect(fallbacks.map((f) => `${f.at.split(':')[0]} ${f.name}`)).toContain('src/cli/commands/mail.ts priority');
    const repeated = fallbacks.filter((f) => defaulted.has(f.name) && !NOT_SPEC[`${f.at.split(':')[0]} ${f.name}`]);
    expect(repeated.map((f) => `${f.at}: ${f.name} ?? ${JSON.stringify(f.value)}`)).toEqual([]);
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
    const manifest = (root: string) => withDefaults('Town', 'wyvern', { root });
    expect(townSocket('/srv/town', manifest('/srv/town'))).toMatch(asPattern(described!, '/srv/town'));
    const long = `/srv/${'x'.repeat(100)}`;
    expect(townSocket(long, manifest(long))).toMatch(asPattern(fallback!, long));
    expect(townSocket(long, withDefaults('Town', 'wyvern', { root: long, tmux: { socket: 'mine' } }))).toBe('mine');
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
