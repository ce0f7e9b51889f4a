import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alive, startLoop } from './support/merge.js';
import { slowMergeUnderLoop } from './support/slow-merge.js';
import { bareRepo, exists, gt, rigYaml, tempDir, townYaml } from './support/town.js';
import { until } from './support/workers.js';
import { parseJson } from './support/json.js';

// The town write lock guards short writes only. A reconcile that runs for a long time (a merge's
// tests, a clone from a host that never answers) holds its own work key's lock, and gt apply,
// gt stop and the rest answer meanwhile.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface KeyLockFile {
  pid: number;
  command: string;
  startedAt: string;
  workKey: string;
  doing?: { text: string; since: string; limitMs?: number };
}

async function keyLock(root: string, file: string): Promise<KeyLockFile | undefined> {
  try {
    return JSON.parse(await readFile(path.join(root, '.gt', 'reconciling', file), 'utf8')) as KeyLockFile;
  } catch {
    return undefined;
  }
}

describe('a long reconcile holds only its own key', () => {
  it('while a merge runs its 45 s tests under gt run, gt apply of a change and gt stop answer with exit 0 and take effect', async () => {
    const { marks, t, p, loop, testPid } = await slowMergeUnderLoop(cleanups, { testMs: 45_000 });
    const holder = await keyLock(t.root, 'refinery.Rig.wyvern.lock');
    expect(holder?.doing?.text).toMatch(/testing/);
    // The merge in progress is not an interrupted one to recover: gt diff and gt status say it is under way.
    const during = await t.gt(['diff']);
    expect(during.stdout).not.toContain('recover the merge');
    expect(during.stdout).toMatch(/being reconciled: merge .*testing/);
    // gt status shows the merge the loop is running, from its records (it cannot plan a held key).
    // gt status (and the dashboard) show it with its test output so far.
    const status = parseJson<{ rigs: { rig: string; mergeQueue: { merging: { issueId: string; testOutput?: string } | null } }[] }>((await t.gt(['status', '-o', 'json'])).stdout);
    const merging = status.rigs.find((r) => r.rig === 'wyvern')?.mergeQueue.merging;
    expect(merging?.issueId).toBe(p.issueId);
    expect(merging?.testOutput).toContain('slow tests running');

    await writeFile(path.join(t.dir, 'drake.yaml'), rigYaml('drake', t.bare, '  suspend: true\n'));
    const applied = await t.gt(['apply', '-f', path.join(t.dir, 'drake.yaml'), '--lock-timeout', '5s']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`The running loop (pid ${loop.child.pid}) reconciles the change.`);
    const stopped = await t.gt(['stop', '--lock-timeout', '5s']);
    expect(stopped.code, stopped.stderr).toBe(0);
    // Both answered while the test command still ran, and no lock of theirs is left.
    expect(alive(testPid), 'the test command ended before apply and stop returned').toBe(true);
    expect(await exists(path.join(marks, 'test.done'))).toBe(false);
    expect(await exists(path.join(t.root, '.gt', 'lock'))).toBe(false);

    // They took effect: the stop is stored, and the loop reconciles the new rig beside the merge.
    const town = JSON.parse(await readFile(path.join(t.root, '.gt', 'store', 'town', 'mq.json'), 'utf8')) as { manifest: { spec: { suspend?: boolean } } };
    expect(town.manifest.spec.suspend).toBe(true);
    await until(() => exists(path.join(t.root, 'drake', 'refinery', 'rig', '.git')), 'the loop to clone the new rig');

    // The merge then finishes as it would have: pushed once.
    await until(async () => (await t.request(p.issueId)) === undefined && !(await t.current()), 'the merge to finish', 75_000);
    expect(await exists(path.join(marks, 'test.done'))).toBe(true);
    expect(t.isAncestor(p.head, t.remoteMain())).toBe(true);
    expect((await t.pushes()).length).toBe(1);
    expect(await loop.stop()).toEqual({ code: 0, signal: null });
  }, 150_000);

  it('a clone from a host that never answers does not block gt apply of another object; gt status says it is cloning', async () => {
    const dir = await tempDir();
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of held) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('stuck', `ssh://git@127.0.0.1:${port}/repo.git`, '  suspend: true\n')}`);
    expect((await gt(['apply', '-f', 'town.yaml', '--no-reconcile'], { cwd: dir })).code).toBe(0);

    // A person's own ssh command with a patient connect timeout: the clone waits a minute.
    await mkdir(path.join(dir, 'home'));
    const loop = startLoop(root, { HOME: path.join(dir, 'home'), GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=60 -o StrictHostKeyChecking=no' });
    cleanups.push(() => loop.stop(true));
    const cloning = await until(async () => {
      const h = await keyLock(root, 'rig.Rig.stuck.lock');
      return h?.doing?.text.includes('clone ssh://') ? h : undefined;
    }, 'the loop to start the clone');
    expect(cloning.pid).toBe(loop.child.pid);
    // gt status tells it from the key's lock: being reconciled right now, not only "to do".
    const status = await gt(['status', '--town', root]);
    expect(status.stdout).toMatch(new RegExp(`Rig stuck: reconciling: clone ssh://git@127\\.0\\.0\\.1:${port}/repo\\.git into stuck/\\S+ \\(pid ${loop.child.pid}, gt run, since \\S+\\)`));
    // The clone's temporary directory is its work in progress, not a leftover to remove.
    expect(status.stdout).not.toContain('partial clone');
    expect((await gt(['diff', '--town', root])).stdout).not.toContain('partial clone');

    await writeFile(path.join(dir, 'drake.yaml'), rigYaml('drake', bare, '  suspend: true\n'));
    const applied = await gt(['apply', '-f', 'drake.yaml', '--town', root, '--lock-timeout', '5s'], { cwd: dir });
    expect(applied.code, applied.stderr).toBe(0);
    // The same clone is still in progress: apply did not wait for it.
    expect((await keyLock(root, 'rig.Rig.stuck.lock'))?.startedAt).toBe(cloning.startedAt);
    await until(() => exists(path.join(root, 'drake', 'refinery', 'rig', '.git')), 'the loop to clone the other rig meanwhile');
    expect((await keyLock(root, 'rig.Rig.stuck.lock'))?.startedAt).toBe(cloning.startedAt);
  }, 60_000);
});
