import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MergeTown } from './support/merge.js';

describe('gt land: direct landing through the same merge path and checks', () => {
  let town: MergeTown;
  beforeAll(async () => {
    town = await MergeTown.create();
  });
  afterAll(() => town.dispose());

  it('merges the named polecat first, ahead of a higher-priority request', async () => {
    const low = await town.createIssue('low priority', 3);
    const high = await town.createIssue('high priority', 0);
    const a = await town.prepare(low, 'nux', { 'a.txt': 'a\n' }, { readyAt: '2026-01-01T00:00:00.000Z' });
    await town.prepare(high, 'toast', { 'b.txt': 'b\n' });
    const r = await town.gt(['land', 'wyvern/nux']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`merge ${low}`);
    expect(r.stdout).toContain('merged as');
    expect(town.isAncestor(a.head, town.remoteMain())).toBe(true);
    expect((await town.issue(low)).status).toBe('closed');
    // Only the landed one: the rest waits for the queue.
    expect(await town.request(high)).toBeDefined();
    expect(town.refineryState().porcelain).toBe('');
  });

  it('refuses work whose tests fail, and lands it only with an explicit --skip-tests', async () => {
    const id = await town.createIssue('red change', 2);
    const p = await town.prepare(id, 'capable', { 'status.txt': 'red\n' });
    const refused = await town.gt(['land', 'wyvern/capable']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('was not landed: tests failed');
    expect(town.isAncestor(p.head, town.remoteMain())).toBe(false);
    const forced = await town.gt(['land', 'wyvern/capable', '--skip-tests']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('no tests');
    expect(town.isAncestor(p.head, town.remoteMain())).toBe(true);
    expect((await town.issue(id)).status).toBe('closed');
  });

  it('-o json: one document saying whether the work landed, also when it was refused', async () => {
    const red = await town.createIssue('red again', 2);
    await town.prepare(red, 'furiosa', { 'status.txt': 'red again\n' });
    const refused = await town.gt(['land', 'wyvern/furiosa', '-o', 'json']);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout)).toMatchObject({ polecat: 'wyvern/furiosa', state: 'refused', failure: expect.stringContaining('tests failed') as string, reconciledBy: 'land' });
    const green = await town.createIssue('green', 2);
    const p = await town.prepare(green, 'slit', { 'status.txt': 'green\n' });
    const landed = await town.gt(['land', 'wyvern/slit', '-o', 'yaml']);
    expect(landed.code, landed.stderr).toBe(0);
    expect(parse(landed.stdout)).toMatchObject({ polecat: 'wyvern/slit', state: 'landed', outcome: { key: 'Rig/wyvern' } });
    expect(town.isAncestor(p.head, town.remoteMain())).toBe(true);
  });

  it('names what is missing for a polecat with nothing to land', async () => {
    const r = await town.gt(['land', 'wyvern/ghost']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('polecat wyvern/ghost has no work to land');
  });
});
