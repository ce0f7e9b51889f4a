import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { tmuxServer } from './support/town.js';
import { TestTown, until } from './support/workers.js';

// Every test here runs `gt run` with the resync an hour away: what it does, it learned of from a
// watched file or a tmux hook, or was told to do again by a plan (requeueAfterMs).
const NO_RESYNC = '  resync: 1h\n';

let town: TestTown | undefined;
let loop: Awaited<ReturnType<TestTown['startLoop']>> | undefined;
afterEach(async () => {
  if (loop) expect(await loop.stop()).toBe(0);
  loop = undefined;
  await town?.dispose();
  town = undefined;
});

/** Every status file with its modification time: each reconcile of a key rewrites its own. */
async function statusTimes(root: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      // A write in progress (its temp file) is gone by the time it is looked at: the renamed file counts.
      else if (!e.name.includes('.tmp-')) out[path.relative(root, p)] = (await stat(p)).mtimeMs;
    }
  };
  await walk(path.join(root, '.gt', 'status'));
  return out;
}

describe('gt run learns of changes as they happen', () => {
  it('a killed polecat session is restarted at once: tmux tells the loop, nothing lists sessions', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], townExtra: NO_RESYNC, workers: '    max: 1\n    spawnDelay: 0s\n    restartBackoff: 100ms\n' });
    await town.createIssue('work');
    loop = await town.startLoop();
    await until(() => town!.liveSessions().includes('gt-wyvern-nux'), 'the polecat session', 15_000);
    execFileSync('tmux', [...tmuxServer(town.socket), 'kill-session', '-t', 'gt-wyvern-nux']);
    await until(async () => (await town!.records())[0]?.starts.length === 2 && town!.liveSessions().includes('gt-wyvern-nux'), 'the restart', 30_000).catch((e: Error) => {
      throw new Error(`${e.message}; the loop said:\n${loop!.output()}`);
    });
  });

  it('an agent that finishes is verified, merged and its issue closed: the done signal and the merge request wake the loop', async () => {
    town = await TestTown.create({ townExtra: NO_RESYNC, workers: '    max: 1\n    spawnDelay: 0s\n' });
    const id = await town.createIssue('a real change');
    loop = await town.startLoop();
    await until(async () => (await town!.issue(id)).status === 'closed', 'the merge', 30_000);
    await until(() => !town!.liveSessions().includes('gt-wyvern-nux'), 'the polecat to be released', 30_000);
    const main = execFileSync('git', ['log', '--format=%s', 'main'], { cwd: town.bare, encoding: 'utf8' });
    expect(main).toContain(id);
  });

  it('an idle town is not reconciled again: no status is rewritten while nothing changes', async () => {
    town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], townExtra: NO_RESYNC, workers: '    max: 1\n    spawnDelay: 0s\n    stuckAfter: 1h\n' });
    await town.createIssue('work');
    loop = await town.startLoop();
    await until(() => town!.liveSessions().includes('gt-wyvern-nux'), 'the polecat session', 15_000);
    // Settled: two looks a second apart see the same status files.
    const settled = await until(
      async () => {
        const a = await statusTimes(town!.root);
        await new Promise((r) => setTimeout(r, 1000));
        const b = await statusTimes(town!.root);
        return JSON.stringify(a) === JSON.stringify(b) ? b : undefined;
      },
      'the loop to settle',
      20_000,
    );
    await new Promise((r) => setTimeout(r, 3000));
    expect(await statusTimes(town.root)).toEqual(settled);
  });
});
