import { watch } from 'node:fs';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCrossObjectRules } from '../src/manifest/rules.js';
import type { ParsedObject } from '../src/manifest/validate.js';
import type { Manifest } from '../src/model/objects.js';
import type { SwarmTask } from '../src/generated/manifest-types.js';
import { specWaves } from '../controllers/swarm-wave/plan.js';
import { bareRepo, gt, REPO_ROOT, tempDir } from './support/town.js';
import { withDefaults } from './support/manifests.js';

// A big Swarm through the real CLI: its issues are written with one rewrite of the beads file
// (not one per issue), lines gt did not write keep their bytes, and the graph checks do not
// recurse or rescan per task. Timing is the bench's business (bench/swarm-apply.ts).

let dir: string;
let root: string;
const TASKS = 60;

const doc = (o: unknown) => JSON.stringify(o);
const town = doc({ apiVersion: 'gastown.dev/v1alpha1', kind: 'Town', metadata: { name: 't' }, spec: { root: './town' } });
const rig = doc({ apiVersion: 'gastown.dev/v1alpha1', kind: 'Rig', metadata: { name: 'wyvern' }, spec: { gitUrl: './remote.git', suspend: true } });
const swarm = doc({
  apiVersion: 'gastown.dev/v1alpha1',
  kind: 'Swarm',
  metadata: { name: 'big' },
  spec: { rig: 'wyvern', title: 'Many', tasks: Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, title: `Task ${i}`, ...(i ? { dependsOn: [`t${i - 1}`] } : {}) })) },
});
const beadsFile = () => path.join(root, 'wyvern', '.beads', 'issues.jsonl');

beforeAll(async () => {
  dir = await tempDir('gt-swarm-big-');
  root = path.join(dir, 'town');
  await bareRepo(dir);
  await writeFile(path.join(dir, 'base.yaml'), [town, rig].join('\n---\n') + '\n');
  await writeFile(path.join(dir, 'swarm.yaml'), swarm + '\n');
  const r = await gt(['apply', '-f', 'base.yaml'], { cwd: dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a big Swarm', () => {
  it('is written to the beads file in one rewrite, keeping every line gt did not write byte for byte', async () => {
    // Lines of bd's and of people: odd spacing and key order, unknown fields, a tombstone, a memory.
    await copyFile(path.join(REPO_ROOT, 'test', 'beads', 'fixtures', 'real-format.jsonl'), beadsFile());
    const before = await readFile(beadsFile(), 'utf8');
    let writes = 0;
    const watcher = watch(path.dirname(beadsFile()), (_event, name) => {
      if (name === 'issues.jsonl') writes++;
    });
    try {
      const r = await gt(['apply', '-f', 'base.yaml', '-f', 'swarm.yaml'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the last watch events
    } finally {
      watcher.close();
    }
    const after = await readFile(beadsFile(), 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const added = after
      .slice(before.length)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { external_ref?: string });
    expect(added).toHaveLength(TASKS + 1);
    expect(added.every((i) => i.external_ref?.startsWith('gt-swarm:big'))).toBe(true);
    // One rename into place per write (a rename may show as two events); one per issue was 61+.
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(4);
  });

  it('a second apply writes nothing', async () => {
    const before = await readFile(beadsFile(), 'utf8');
    const r = await gt(['apply', '-f', 'base.yaml', '-f', 'swarm.yaml'], { cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readFile(beadsFile(), 'utf8')).toBe(before);
  });
});

describe('the dependency graph of 100,000 tasks in one chain', () => {
  const tasks: SwarmTask[] = Array.from({ length: 100_000 }, (_, i) => ({ id: `t${i}`, title: `T${i}`, description: '', priority: 2, dependsOn: i ? [`t${i - 1}`] : [] }));
  const parsed = (ts: typeof tasks): ParsedObject[] => [
    { manifest: withDefaults('Rig', 'r', { gitUrl: '/x' }), written: {}, doc: { file: 'f', baseDir: '/', index: 1, value: {}, locate: () => ({ line: 1, col: 1 }) } },
    {
      manifest: { apiVersion: 'gastown.dev/v1alpha1', kind: 'Swarm', metadata: { name: 's' }, spec: { rig: 'r', title: 'S', tasks: ts } } as Manifest,
      written: {},
      doc: { file: 'f', baseDir: '/', index: 2, value: {}, locate: () => ({ line: 2, col: 1 }) },
    },
  ];

  it('is checked without running out of stack, and a cycle at its end is found', () => {
    expect(checkCrossObjectRules(parsed(tasks), { stored: [] })).toEqual([]);
    const cyclic = [{ ...tasks[0]!, dependsOn: ['t99999'] }, ...tasks.slice(1)];
    const found = checkCrossObjectRules(parsed(cyclic), { stored: [] }).map((d) => d.message);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^spec\.tasks: dependency cycle t0 -> t99999 -> t99998 -> .* -> t1 -> t0$/);
  });

  it('gets its waves in one walk, in whatever order the tasks are listed: 100,000 waves', () => {
    const w = specWaves([...tasks].reverse());
    expect(w.get('t0')).toBe(1);
    expect(w.get('t99999')).toBe(100_000);
  });
});
