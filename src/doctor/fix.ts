import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inspectClone } from '../adapters/git.js';
import { acquireLock, readLockHolder } from '../store/lock.js';
import { Mailbox } from '../mail/mailbox.js';
import type { TownSession } from '../town/session.js';
import { writeFileAtomic } from '../util/atomic.js';
import { unsafeToDelete } from '../policy/clone-safety.js';
import type { HealthFinding } from './findings.js';
import { splitTorn } from './judge-files.js';

const COMMAND = 'gt doctor --fix';

/**
 * Repairs one finding that is safe to repair without a person, checking its facts again right
 * before acting (they may have changed since they were observed). Returns what was done, or
 * undefined for findings doctor never repairs itself: those wait for a person, or for the
 * reconcile pass that `--fix` runs first. Throws when the repair was refused or failed.
 */
export async function repair(session: TownSession, f: HealthFinding): Promise<string | undefined> {
  switch (f.code) {
    case 'GT-STALE-LOCK':
      return removeStaleLock(path.join(session.root, f.file), f.holder);
    case 'GT-MAIL-TORN':
      return moveTornLines(path.join(session.root, f.file));
    case 'GT-ZOMBIE-SESSION':
      if (f.unsafe) return undefined;
      return endZombie(session, f.session, f.clone);
    case 'GT-ORPHAN-SESSION':
    case 'GT-CLONE-REMOTE':
    case 'GT-CLONE-BRANCH':
    case 'GT-DIRTY-FINISHED-CLONE':
    case 'GT-BEADS-PARSE':
    case 'GT-TMUX-SERVER-MISSING':
    case 'GT-STALLED':
    case 'GT-ACTION-FAILED':
    case 'GT-BREAKER-OPEN':
    case 'GT-BEADS-BD-MISSING':
    case 'GT-AGENT-COMMAND-MISSING':
    case 'GT-CLONE-FAILING':
      return undefined;
  }
}

/**
 * Taking the lock is how a stale one is removed: acquireLock breaks a dead holder under its break
 * lock (so a concurrent taker cannot be hurt) and never a live one, and releasing removes ours.
 */
async function removeStaleLock(file: string, seen: { pid: number; startedAt: string }): Promise<string> {
  const now = await readLockHolder(file);
  if (!now || now.pid !== seen.pid || now.startedAt !== seen.startedAt) return 'already gone';
  const held = await acquireLock(file, { command: COMMAND, timeoutMs: 0 });
  await held.release();
  return `removed (pid ${seen.pid} was not running)`;
}

/**
 * Moves the torn lines of an inbox to `<inbox>.torn` (appended and synced first, so a crash
 * between the two writes leaves a line twice, never nowhere), then rewrites the inbox with the
 * other lines byte for byte. Under the inbox's own lock (Mailbox.lockFile), so no
 * message sent meanwhile is lost.
 */
async function moveTornLines(file: string): Promise<string> {
  const held = await acquireLock(new Mailbox(file).lockFile, { command: COMMAND, timeoutMs: 10_000, pollMs: 10 });
  try {
    const { kept, torn } = splitTorn(await readFile(file, 'utf8'));
    if (!torn.length) return 'already repaired';
    const side = await open(`${file}.torn`, 'a', 0o644);
    try {
      await side.write(torn.map((t) => t.text + '\n').join(''));
      await side.sync();
    } finally {
      await side.close();
    }
    await writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
    return `moved line${torn.length === 1 ? '' : 's'} ${torn.map((t) => t.line).join(', ')} to ${path.basename(file)}.torn`;
  } finally {
    await held.release();
  }
}

async function endZombie(session: TownSession, name: string, clone: string | undefined): Promise<string> {
  const town = (await session.reconciler.loadWorld()).town?.manifest;
  const now = (await session.services.sessions(town, true)).find((s) => s.name === name);
  if (!now) return 'already gone';
  if (!now.dead) throw new Error('its agent is running again; left alone');
  if (clone) {
    const why = unsafeToDelete(await inspectClone(path.join(session.root, clone), { work: true }));
    if (why) throw new Error(`its clone ${clone} ${why}; left alone`);
  }
  await session.services.tmux(town).killSession(name);
  session.services.forgetSessions();
  return 'ended the session';
}
