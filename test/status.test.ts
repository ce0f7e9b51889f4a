import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestTown } from './support/workers.js';

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
    const json = JSON.parse((await t.gt(['status', '-o', 'json'])).stdout);
    expect(json.rigs[0]).toMatchObject({ inSync: false });
    expect(json.rigs[0].pending.join('\n')).toContain('file wyvern/config.json');
    // One pass later both agree again.
    await t.once();
    expect((await t.gt(['diff'])).code).toBe(0);
    expect((await t.gt(['status'])).stdout).toContain('Rig wyvern: in sync');
    expect(JSON.parse((await t.gt(['status', '-o', 'json'])).stdout).rigs[0]).toMatchObject({ inSync: true, pending: [] });
  });
});
