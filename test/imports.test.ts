import madge from 'madge';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// Imports point down (DESIGN.md §8): cli → engine/doctor → controllers → src services. Type-only
// imports count: a type that callers need lives below them as well.
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The one file of src/ that may name the controllers: it wires the town (engine + controller list). */
const WIRING: Record<string, string[]> = { 'src/town/session.ts': ['controllers/registry.ts'] };

let graph: Record<string, string[]> = {};
let cycles: string[][] = [];
let unresolved: string[] = [];

beforeAll(async () => {
  const result = await madge(['src', 'controllers'], { baseDir: root, fileExtensions: ['ts'], tsConfig: path.join(root, 'tsconfig.json'), detectiveOptions: { ts: { skipTypeImports: false } } });
  graph = result.obj();
  cycles = result.circular();
  unresolved = result.warnings().skipped;
});

/** Every import edge `from -> to` that breaks the direction rule, with the reason. */
function upwardImports(): string[] {
  const out: string[] = [];
  for (const [from, tos] of Object.entries(graph)) {
    for (const to of tos) {
      // The command line is the top; gt doctor sits under it only.
      // The dashboard and the metrics are the town's other faces: they show what the CLI's views build.
      if (to.startsWith('src/cli/') && !/^src\/(cli|dashboard|metrics)\//.test(from)) out.push(`${from} -> ${to} (imports the command line)`);
      if (to.startsWith('src/doctor/') && !/^src\/(cli|doctor)\//.test(from)) out.push(`${from} -> ${to} (imports gt doctor)`);
      if (!to.startsWith('controllers/')) continue;
      if (from.startsWith('src/')) {
        if (!WIRING[from]?.includes(to)) out.push(`${from} -> ${to} (src/ imports a controller)`);
        continue;
      }
      const [, fromController] = from.split('/');
      const [, toController] = to.split('/');
      if (from === 'controllers/registry.ts' || toController === 'common' || fromController === toController) continue;
      out.push(`${from} -> ${to} (a controller imports another controller${to === 'controllers/registry.ts' ? "'s list" : ''})`);
    }
  }
  return out.sort();
}

describe('the import graph of src/ and controllers/', () => {
  it('reads every source file and resolves every import', () => {
    // A graph that missed files or imports (a broken tsconfig path) would pass every rule below.
    const sources = ['src', 'controllers'].flatMap((dir) =>
      (readdirSync(path.join(root, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f.split(path.sep).join('/')}`),
    );
    expect(Object.keys(graph).sort()).toEqual(sources.sort());
    expect(unresolved).toEqual([]);
    expect(graph['src/town/session.ts']).toContain('src/engine/reconciler.ts');
  });

  it('has no import cycle', () => {
    expect(cycles.map((c) => c.join(' -> '))).toEqual([]);
  });

  it('points down only: src/ does not import controllers, no controller imports another one, only the CLI imports doctor and itself', () => {
    expect(upwardImports()).toEqual([]);
  });
});
