import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestTown, until } from './support/workers.js';
import { statusJson } from './support/json.js';

let t: TestTown | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

describe('a pool that fits the machine', () => {
  it('workers.memoryPerWorker larger than the machine: no polecat starts, the rig says CapacityLimited with the figures; a value that fits starts one', async () => {
    t = await TestTown.create({ workers: '    max: 2\n    spawnDelay: 0s\n    memoryPerWorker: 4096G\n', townExtra: '  memoryReserve: 256M\n' });
    const issue = await t.createIssue('work');
    await t.once();
    expect(t.sessions()).toEqual([]);
    expect(await t.records()).toEqual([]);
    expect((await t.issue(issue)).status).toBe('open');
    const rig = statusJson((await t.gt(['status', '-o', 'json'])).stdout).rigs[0]!;
    const f = rig.findings.find((x) => x.code === 'CapacityLimited');
    expect(f, JSON.stringify(rig)).toBeDefined();
    expect(f!.message).toMatch(/^1 polecat not started: [0-9]+ MiB available, minus the town's memoryReserve of 256 MiB, leaves [0-9]+ MiB; each needs workers.memoryPerWorker 4194304 MiB/);
    expect((await t.gt(['diff'])).stdout).toContain('CapacityLimited');

    const yaml = path.join(t.dir, 'town.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('memoryPerWorker: 4096G', 'memoryPerWorker: 1M'));
    expect((await t.gt(['apply', '-f', yaml])).code).toBe(0);
    await t.once();
    await until(async () => (await t!.records()).length === 1, 'the polecat to start');
    expect((await t.gt(['status', '-o', 'json'])).stdout).not.toContain('CapacityLimited');
  });

  it('a memory figure that is not one is refused at apply, naming the field', async () => {
    t = await TestTown.create({});
    const yaml = path.join(t.dir, 'town.yaml');
    await writeFile(yaml, (await readFile(yaml, 'utf8')).replace('    max: 2\n', '    max: 2\n    memoryPerWorker: lots\n'));
    const r = await t.gt(['apply', '-f', yaml]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('memoryPerWorker');
  });
});
