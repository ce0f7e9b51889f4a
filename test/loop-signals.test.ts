import { afterEach, describe, expect, it } from 'vitest';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alive, MergeTown, slowTestCommand, startLoop } from './support/merge.js';
import { exists, tempDir } from './support/town.js';
import { until } from './support/workers.js';

// gt run stopped during a merge's 20 s tests: the first signal says what it is finishing and for
// how long at most; a second ends the test run (its whole process group) and the loop at once,
// and the next pass undoes the half-done merge from its intent record and merges it once.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('signals to gt run during a merge test', () => {
  it('the first says what it finishes and for how long at most; a second ends the test run and the loop; gt run --once then merges once', async () => {
    const marks = await tempDir('gt-marks-');
    cleanups.push(() => rm(marks, { recursive: true, force: true }));
    const t = await MergeTown.create({ testCommand: slowTestCommand(marks), testTimeout: '5m' });
    cleanups.push(() => t.dispose());
    await writeFile(path.join(marks, 'slow'), '');
    const p = await t.prepare(await t.createIssue('slow tests'), 'nux', { 'a.txt': 'a\n' });

    const loop = startLoop(t.root);
    cleanups.push(() => loop.stop(true));
    await until(() => exists(path.join(marks, 'test.pid')), 'the merge to start its tests');
    const testPid = Number(await readFile(path.join(marks, 'test.pid'), 'utf8'));

    loop.child.kill('SIGTERM');
    await until(async () => loop.output.includes('gt run: stopping'), 'the loop to say it stops');
    expect(loop.output).toMatch(/stopping after the work in hand: refinery:Rig\/wyvern: merge polecat\/nux\/\S+ into main: testing \(.+\) \(for \d+s, at most [45]m\d*s? more\)/);
    expect(loop.output).toContain('A second Ctrl-C or SIGTERM ends it at once');
    expect(alive(testPid), 'the first signal must not end the test run').toBe(true);

    loop.child.kill('SIGTERM');
    expect(await loop.exited).toEqual({ code: 143, signal: null });
    // The spawner may not have told gt the test's pid yet (it does after 200 ms); it ends its
    // groups itself when gt exits, so what matters is that the test run ends, checked next.
    expect(loop.output).toMatch(/gt: interrupted by SIGTERM; released \d+ locks?/);
    await until(async () => !alive(testPid), 'the test run to end with the loop', 5000);
    expect(await exists(path.join(marks, 'test.done'))).toBe(false);
    // No lock is left behind, nothing was pushed, and the intent record says a merge was under way.
    expect(await exists(path.join(t.root, '.gt', 'run.lock'))).toBe(false);
    expect(await exists(path.join(t.root, '.gt', 'lock'))).toBe(false);
    expect((await readdir(path.join(t.root, '.gt', 'reconciling'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
    expect(await t.pushes()).toEqual([]);
    expect((await t.current())?.phase).toBe('merging');

    // The next pass undoes the half-done merge and merges the request once (quick tests now).
    await rm(path.join(marks, 'slow'));
    const out = await t.once();
    expect(out).toContain('nothing was pushed: undone, the request stays queued');
    expect(out).toMatch(/merged as [0-9a-f]{8}/);
    expect(await t.request(p.issueId)).toBeUndefined();
    expect(await t.current()).toBeUndefined();
    expect((await t.pushes()).length).toBe(1);
    expect(t.isAncestor(p.head, t.remoteMain())).toBe(true);
    expect((await readdir(path.join(t.root, '.gt', 'reconciling'))).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }, 90_000);
});
