import { afterEach, describe, expect, it } from 'vitest';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { alive } from './support/merge.js';
import { slowMergeUnderLoop } from './support/slow-merge.js';
import { exists } from './support/town.js';
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
    const { marks, t, p, loop, testPid } = await slowMergeUnderLoop(cleanups, { testTimeout: '5m' });

    loop.child.kill('SIGTERM');
    await until(() => loop.output.includes('gt run: stopping'), 'the loop to say it stops');
    expect(loop.output).toMatch(/stopping after the work in hand: refinery:Rig\/wyvern: merge polecat\/nux\/\S+ into main: testing \(.+\) \(for \d+s, at most [45]m\d*s? more\)/);
    expect(loop.output).toContain('A second Ctrl-C or SIGTERM ends it at once');
    expect(alive(testPid), 'the first signal must not end the test run').toBe(true);

    loop.child.kill('SIGTERM');
    expect(await loop.exited).toEqual({ code: 143, signal: null });
    // The spawner may not have told gt the test's pid yet (it does after 200 ms); it ends its
    // groups itself when gt exits, so what matters is that the test run ends, checked next.
    expect(loop.output).toMatch(/gt: interrupted by SIGTERM; released \d+ locks?/);
    await until(() => !alive(testPid), 'the test run to end with the loop', 5000);
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
