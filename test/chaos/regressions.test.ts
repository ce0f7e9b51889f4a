import { execFileSync, spawn } from 'node:child_process';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailbox } from '../../src/mail/mailbox.js';
import { runTests } from '../../controllers/merge-queue/merge.js';
import { acquireLock } from '../../src/store/lock.js';
import { appendLines } from '../../src/util/append-lines.js';
import { EventLog } from '../../src/store/events.js';
import { Store } from '../../src/store/store.js';
import { WorkerStore } from '../../src/workers/records.js';
import { bareRepo, gt, GT_BIN, tempDir } from '../support/town.js';
import { until } from '../support/workers.js';

/** Each failure the chaos suite found (seed 1), replayed on its own. */
describe('chaos regressions', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await tempDir('gt-chaos-reg-');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a message sent after a torn inbox line is kept, and marking mail read quarantines the torn line', async () => {
    const box = new Mailbox(path.join(dir, 'inbox.jsonl'));
    const first = await box.send({ from: 'a', to: 'mayor', subject: 'one', body: '' });
    await appendFile(box.file, '{"id":"msg-torn","subj');
    const second = await box.send({ from: 'a', to: 'mayor', subject: 'two', body: '' });
    expect((await box.list()).map((m) => m.id)).toEqual([first.id, second.id]);
    await box.markRead(second.id);
    expect((await box.list()).map((m) => [m.id, m.read])).toEqual([
      [first.id, false],
      [second.id, true],
    ]);
    expect(await readFile(`${box.file}.torn`, 'utf8')).toBe('{"id":"msg-torn","subj\n');
  });

  it('an event appended after a torn line of the events log is kept', async () => {
    const log = new EventLog(path.join(dir, 'events.jsonl'));
    await log.append([{ type: 'finding', key: 'Rig/w', code: 'A', message: 'a' }]);
    await appendFile(log.file, '{"seq":7,"ty');
    await log.append([{ type: 'finding', key: 'Rig/w', code: 'B', message: 'b' }]);
    const lines = (await readFile(log.file, 'utf8')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toMatchObject({ code: 'B', seq: 2 });
  });

  it('a stored object cut short: listing names the file; applying it again (get) sees it as absent', async () => {
    const store = new Store(path.join(dir, 'store'));
    await mkdir(path.join(dir, 'store', 'swarm'), { recursive: true });
    await writeFile(path.join(dir, 'store', 'swarm', 's0.json'), '{"manifest": {"kind": "Swa');
    await expect(store.list()).rejects.toThrow(/s0\.json/);
    expect(await store.list(undefined, { skipUnreadable: true })).toEqual([]);
    expect(await store.get('Swarm', 's0')).toBeUndefined();
  });

  it('a worker record cut short is rebuilt from its first lines, not dropped', async () => {
    const workers = new WorkerStore(path.join(dir, 'workers'));
    await workers.put({
      name: 'nux',
      rig: 'w',
      issueId: 'w-1',
      branch: 'polecat/nux/w-1',
      state: 'working',
      createdAt: '2026-01-01T00:00:00.000Z',
      starts: ['2026-01-01T00:00:01.000Z'],
      nudges: 1,
      rejectedDone: 0,
    });
    const file = path.join(dir, 'workers', 'w', 'nux.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, text.indexOf('"starts"') + 12));
    expect(await workers.list('w')).toEqual([
      { name: 'nux', rig: 'w', issueId: 'w-1', branch: 'polecat/nux/w-1', state: 'working', createdAt: '2026-01-01T00:00:00.000Z', starts: [], nudges: 0, rejectedDone: 0 },
    ]);
  });

  it('a crash-looping worker record cut short before its escalation time can still be re-armed by gt reset-breaker (seed 5)', async () => {
    const workers = new WorkerStore(path.join(dir, 'workers'));
    const file = path.join(dir, 'workers', 'w', 'toast.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{\n  "name": "toast",\n  "rig": "w",\n  "issueId": "w-2",\n  "branch": "polecat/toast/w-2",\n  "state": "crashLooping",\n  "created');
    const [r] = await workers.list('w');
    expect(r).toMatchObject({ state: 'crashLooping', escalatedAt: new Date(0).toISOString() });
  });

  it('a worker record cut to nothing is rebuilt from the branch its clone is on (seed 2), and forgotten when it has no clone yet', async () => {
    const workers = new WorkerStore(path.join(dir, '.gt', 'workers'));
    await mkdir(path.join(dir, '.gt', 'workers', 'w'), { recursive: true });
    await writeFile(path.join(dir, '.gt', 'workers', 'w', 'toast.json'), '');
    expect(await workers.list('w')).toEqual([]);
    await mkdir(path.join(dir, 'w', 'polecats', 'toast', '.git'), { recursive: true });
    await writeFile(path.join(dir, 'w', 'polecats', 'toast', '.git', 'HEAD'), 'ref: refs/heads/polecat/toast/w-7\n');
    expect(await workers.list('w')).toMatchObject([{ name: 'toast', rig: 'w', issueId: 'w-7', branch: 'polecat/toast/w-7', state: 'working' }]);
  });

  describe.skipIf(process.getuid?.() !== 0)('on a full disk (a 1 MB tmpfs, mounted as root)', () => {
    let disk = '';
    beforeEach(async () => {
      disk = path.join(dir, 'disk');
      await mkdir(disk);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', disk]);
    });
    afterEach(() => {
      execFileSync('umount', [disk]);
    });

    /** Fills the disk to its last block. */
    async function fill(): Promise<void> {
      await writeFile(path.join(disk, 'filler'), Buffer.alloc(8 << 20)).catch(() => undefined);
    }

    it('a lock whose holder the disk will not take is not left behind for others to wait on (seed 4)', async () => {
      await fill();
      const file = path.join(disk, 'run.lock');
      await expect(acquireLock(file, { command: 'gt run', timeoutMs: 1000 })).rejects.toThrow(/ENOSPC/);
      expect(await readdir(disk)).toEqual(['filler']);
    });

    it('gt on a full disk says so and what to do, with exit 1, not an internal error with a stack (seed 4: gt run at start-up)', async () => {
      await fill();
      const town = `apiVersion: gastown.dev/v1alpha1\nkind: Town\nmetadata:\n  name: full\nspec:\n  root: ${disk}/town\n`;
      const r = await gt(['apply', '-f', '-'], { input: town });
      expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
      expect(r.stderr).toMatch(/^error: .*ENOSPC.*the disk is full: free some space and run it again/m);
      expect(r.code).toBe(1);
    });

    it('a reconcile the full disk refuses is a failure said with what to do, never "everything matches"; gt doctor says GT-DISK-LOW; with space again it goes on (trial)', async () => {
      const bare = await bareRepo(dir);
      const manifest = `apiVersion: gastown.dev/v1alpha1\nkind: Town\nmetadata:\n  name: full\nspec:\n  root: ${disk}/town\n---\napiVersion: gastown.dev/v1alpha1\nkind: Rig\nmetadata:\n  name: wy\nspec:\n  gitUrl: ${bare}\n`;
      expect((await gt(['apply', '-f', '-', '--no-reconcile'], { input: manifest })).code).toBe(0);
      await fill();
      const once = await gt(['run', '--once', '--town', `${disk}/town`]);
      expect(once.stdout + once.stderr).not.toMatch(/Everything already matches/);
      expect(once.stderr).toMatch(/no space left on device.*the disk is full: free some space and run it again/);
      expect(once.code).toBe(1);
      const doctor = await gt(['doctor', '--town', `${disk}/town`]);
      expect(doctor.stdout).toMatch(/GT-DISK-LOW/);
      await rm(path.join(disk, 'filler'));
      expect((await gt(['run', '--once', '--town', `${disk}/town`])).code).toBe(0);
      expect(await readdir(path.join(disk, 'town', 'wy', 'refinery', 'rig'))).toContain('.git');
    });

    it("a merge's live test log on a full disk fails neither the tests nor the process (chaos seed 1: gt run died of an unheard 'error' event)", async () => {
      await fill();
      const r = await runTests(dir, [process.execPath, '-e', 'console.log("x".repeat(200000))'], 30_000, path.join(disk, '_current.log'));
      expect(r.ok).toBe(true);
    });

    it('gt run started on a full disk waits for space, saying so, and goes on once there is some (chaos seed 1, 500 faults)', async () => {
      const manifest = `apiVersion: gastown.dev/v1alpha1\nkind: Town\nmetadata:\n  name: full\nspec:\n  root: ${disk}/town\n`;
      expect((await gt(['apply', '-f', '-', '--no-reconcile'], { input: manifest })).code).toBe(0);
      await fill();
      const loop = spawn(process.execPath, [GT_BIN, 'run', '--town', `${disk}/town`], { env: { ...process.env, GT_TOWN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      loop.stdout.on('data', (d: Buffer) => (out += d.toString()));
      loop.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => loop.once('exit', (code) => r(code)));
      try {
        await until(() => out.includes("waiting for space on the town's disk"), 'the waiting line', 15_000);
        expect(loop.exitCode).toBeNull();
        await rm(path.join(disk, 'filler'));
        await until(() => out.includes('gt run: reconciling'), 'the loop to start', 15_000);
      } finally {
        loop.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    });

    it('an append the disk takes only part of is undone: no torn line of its own', async () => {
      const file = path.join(disk, 'events.jsonl');
      await writeFile(file, '{"seq":1}\n');
      await fill();
      await expect(appendLines(file, `${JSON.stringify({ seq: 2, pad: 'x'.repeat(64 * 1024) })}\n`)).rejects.toThrow();
      expect(await readFile(file, 'utf8')).toBe('{"seq":1}\n');
    });
  });
});
