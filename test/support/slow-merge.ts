import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MergeTown, slowTestCommand, startLoop } from './merge.js';
import { exists, tempDir } from './town.js';
import { until } from './workers.js';

/**
 * A merge whose tests run for 20 s (`testMs`) under a real `gt run`, caught while the test command runs:
 * the town, the prepared request, the loop and the test's pid. Everything it made is ended by
 * `cleanups` (run them last first).
 */
export async function slowMergeUnderLoop(cleanups: (() => Promise<unknown>)[], opts: { testTimeout?: string; testMs?: number } = {}) {
  const marks = await tempDir('gt-marks-');
  cleanups.push(() => rm(marks, { recursive: true, force: true }));
  const t = await MergeTown.create({ testCommand: slowTestCommand(marks, opts.testMs), ...(opts.testTimeout ? { testTimeout: opts.testTimeout } : {}) });
  cleanups.push(() => t.dispose());
  await writeFile(path.join(marks, 'slow'), '');
  const p = await t.prepare(await t.createIssue('slow tests'), 'nux', { 'a.txt': 'a\n' });
  const loop = startLoop(t.root);
  cleanups.push(() => loop.stop(true));
  await until(() => exists(path.join(marks, 'test.pid')), 'the merge to start its tests');
  const testPid = Number(await readFile(path.join(marks, 'test.pid'), 'utf8'));
  return { marks, t, p, loop, testPid };
}
