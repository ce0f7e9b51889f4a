import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { objectsWokenBy, watchedDirs } from '../src/engine/wake-map.js';
import type { DesiredWorld } from '../src/engine/controller.js';
import type { StoredObject } from '../src/store/store.js';

const obj = (kind: string, name: string, spec: Record<string, unknown> = {}): StoredObject =>
  ({ manifest: { apiVersion: 'gastown.dev/v1alpha1', kind, metadata: { name }, spec }, generation: 1, createdAt: '', updatedAt: '', lastApplied: {} }) as unknown as StoredObject;

const town = obj('Town', 't', { root: '.' });
const world: DesiredWorld = {
  town: town as DesiredWorld['town'],
  objects: [
    town,
    obj('Rig', 'wyvern'),
    obj('Rig', 'drake'),
    obj('Swarm', 'big', { rig: 'wyvern' }),
    obj('Swarm', 'other', { rig: 'drake' }),
    obj('Plugin', 'lint', { rig: 'wyvern' }),
    obj('Plugin', 'townwide', {}),
  ],
};

describe('which objects a changed file wakes', () => {
  const cases: [string, string[] | 'everything'][] = [
    ['wyvern/.beads/issues.jsonl', ['Rig/wyvern', 'Swarm/big', 'Plugin/lint', 'Plugin/townwide']],
    ['wyvern/polecats/nux/state.json', ['Rig/wyvern', 'Swarm/big', 'Plugin/lint', 'Plugin/townwide']],
    ['drake/witness/mail/inbox.jsonl', ['Rig/drake', 'Swarm/other', 'Plugin/townwide']],
    ['.gt/workers/wyvern/nux.done.json', ['Rig/wyvern', 'Swarm/big', 'Plugin/lint', 'Plugin/townwide']],
    ['.gt/merge-queue/drake/gt-1.json', ['Rig/drake', 'Swarm/other', 'Plugin/townwide']],
    ['.gt/store/rig/wyvern.json', 'everything'],
    ['mayor/state.json', ['Town/t', 'Plugin/townwide']],
    ['overseer/mail/inbox.jsonl', ['Town/t', 'Plugin/townwide']],
    ['plugins/townwide/mail/inbox.jsonl', ['Town/t', 'Plugin/townwide']],
    // A directory named like no rig is the town's.
    ['gone/.beads/issues.jsonl', ['Town/t', 'Plugin/townwide']],
  ];
  for (const [file, want] of cases) {
    it(`${file} -> ${Array.isArray(want) ? want.join(', ') : want}`, () => {
      const got = objectsWokenBy(path.join('/t', ...file.split('/')), '/t', world);
      expect(Array.isArray(got) ? [...got].sort() : got).toEqual(Array.isArray(want) ? [...want].sort() : want);
    });
  }
});

describe('what the loop watches', () => {
  it("each rig's issues, polecats, worker records and merge queue, and each agent home with its mail; never deeper", () => {
    const dirs = watchedDirs('/t', world, ['/t/mayor', '/t/wyvern/polecats/nux']);
    expect(dirs).toEqual(
      [
        '/t/.gt/merge-queue/drake',
        '/t/.gt/merge-queue/wyvern',
        '/t/.gt/workers/drake',
        '/t/.gt/workers/wyvern',
        '/t/drake/.beads',
        '/t/drake/polecats',
        '/t/mayor',
        '/t/mayor/mail',
        '/t/overseer/mail',
        '/t/wyvern/.beads',
        '/t/wyvern/polecats',
        '/t/wyvern/polecats/nux',
        '/t/wyvern/polecats/nux/mail',
      ].sort(),
    );
  });
});
