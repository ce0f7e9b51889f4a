import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './support/workers.js';
import { bareRepo, exists, gt, GT_BIN, tempDir } from './support/town.js';

// Ctrl-C (SIGINT) or SIGTERM of a real `gt apply` in the middle of a slow clone: the clone is a
// real git whose ssh transport is a `sleep` that never answers, so gt waits on its child, holding
// the rig's key lock, when the signal comes.

const MARK = '613.271';
let dir = '';

afterEach(async () => {
  for (const pid of marked()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Processes whose command line carries the marker: the ssh stand-in and its shell. */
function marked(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').includes(MARK)) out.push(Number(e));
    } catch {
      // ended while listed
    }
  }
  return out;
}

async function manifest(gitUrl: string): Promise<void> {
  await writeFile(
    path.join(dir, 'town.yaml'),
    `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata: { name: t }
spec: { root: ./town }
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata: { name: wyvern }
spec: { gitUrl: ${JSON.stringify(gitUrl)}, suspend: true }
`,
  );
}

async function interrupted(signal: 'SIGINT' | 'SIGTERM'): Promise<void> {
  dir = await tempDir('gt-interrupt-');
  await bareRepo(dir);
  await manifest('ssh://gt-test.invalid/slow.git');
  const child = spawn(process.execPath, [GT_BIN, 'apply', '-f', 'town.yaml'], {
    cwd: dir,
    env: { ...process.env, GT_TOWN: '', GIT_SSH_COMMAND: `sleep ${MARK} #`, GIT_SSH_VARIANT: 'simple' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  // The rig's work key is locked for the clone; the town's write lock is not (gt apply of
  // anything else, gt stop, must not wait for a clone).
  const lock = path.join(dir, 'town', '.gt', 'reconciling', 'rig.Rig.wyvern.lock');
  await until(async () => marked().length > 0 && (await exists(lock)), "gt apply to hold the rig's key lock while its clone waits");
  expect(await exists(path.join(dir, 'town', '.gt', 'lock'))).toBe(false);

  child.kill(signal);
  const end = await exited;
  expect(end, stderr).toEqual({ code: signal === 'SIGINT' ? 130 : 143, signal: null });
  expect(stderr).toMatch(new RegExp(`gt: interrupted by ${signal}; released 1 lock, ended \\d+ programs? it had started`));
  expect(await exists(lock)).toBe(false);
  await until(() => marked().length === 0, 'the clone gt started (and its ssh) to end', 5000);

  // The next apply finds nothing in its way, even with no patience for a lock.
  await manifest('./remote.git');
  const next = await gt(['apply', '-f', 'town.yaml', '--lock-timeout', '0s'], { cwd: dir });
  expect(next.code, next.stdout + next.stderr).toBe(0);
  expect(await exists(path.join(dir, 'town', 'wyvern', 'refinery', 'rig', '.git'))).toBe(true);
}

describe('an interrupted gt apply', () => {
  it('Ctrl-C (SIGINT) ends its clone, releases its lock and exits 130; the next apply works at once', () => interrupted('SIGINT'), 60_000);
  it('SIGTERM does the same and exits 143', () => interrupted('SIGTERM'), 60_000);
});
