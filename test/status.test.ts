import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusJson } from './support/json.js';
import { startLoop } from './support/merge.js';
import { TestTown, until } from './support/workers.js';

/** gt status and gt diff come from the same plan: "in sync" exactly when diff exits 0 for that object. */
let t: TestTown | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

describe('gt status agrees with gt diff', () => {
  it('a change on disk since the last pass: diff shows the action and status does not say in sync', async () => {
    t = await TestTown.create();
    expect((await t.gt(['diff'])).code).toBe(0);
    expect((await t.gt(['status'])).stdout).toContain('Rig wyvern: in sync');
    // Drift the last pass never saw: the stored status still says Ready.
    await rm(path.join(t.root, 'wyvern', 'config.json'));
    const diff = await t.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('file wyvern/config.json');
    const text = (await t.gt(['status'])).stdout;
    expect(text).not.toContain('Rig wyvern: in sync');
    expect(text).toContain('file wyvern/config.json');
    const json = statusJson((await t.gt(['status', '-o', 'json'])).stdout);
    expect(json.rigs[0]).toMatchObject({ inSync: false });
    expect(json.rigs[0]!.pending.join('\n')).toContain('file wyvern/config.json');
    // One pass later both agree again.
    await t.once();
    expect((await t.gt(['diff'])).code).toBe(0);
    expect((await t.gt(['status'])).stdout).toContain('Rig wyvern: in sync');
    expect(statusJson((await t.gt(['status', '-o', 'json'])).stdout).rigs[0]).toMatchObject({ inSync: true, pending: [] });
  });
});

describe('gt status says who carries out the plan', () => {
  it('a ready issue and no loop running: not in sync, and it says no loop is running; with a loop it does not', async () => {
    t = await TestTown.create({ townExtra: '  resync: 1h\n' });
    const id = await t.createIssue('nobody dispatches this yet');
    const text = (await t.gt(['status'])).stdout;
    expect(text).toContain('Loop: none running');
    expect(text).not.toContain('Rig wyvern: in sync');
    expect(text).toMatch(new RegExp(`Rig wyvern: \\d+ to do \\(gt diff\\): .*${id}.*; no loop is running: gt run carries it out`));
    expect(JSON.parse((await t.gt(['status', '-o', 'json'])).stdout)).toMatchObject({ loop: null, rigs: [{ inSync: false }] });

    const loop = startLoop(t.root);
    try {
      await until(async () => (await t!.gt(['status', '-o', 'json'])).stdout.includes(`"pid": ${loop.child.pid}`), 'status to see the loop');
      expect((await t.gt(['status'])).stdout).not.toContain('no loop is running');
    } finally {
      await loop.stop();
    }
  });
});
