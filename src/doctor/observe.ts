import path from 'node:path';
import { statfs } from 'node:fs/promises';
import { inspectClone } from '../adapters/git.js';
import { fileIssues, parseBeadsFile } from '../beads/jsonl-file.js';
import { describeBdDatabase, findBdDatabase, onPath } from '../beads/layout.js';
import type { DesiredWorld } from '../engine/controller.js';
import type { KeyPlan } from '../engine/reconciler.js';
import { conditionOf } from '../engine/status.js';
import { GtFailure, type Diagnostic } from '../errors.js';
import { keyOf, type Kind } from '../model/objects.js';
import { isStale, readLockHolder } from '../store/lock.js';
import type { TownSession } from '../town/session.js';
import { listDir, readTextIfExists, statIfExists } from '../util/fs-read.js';
import type { PoolState, WorkerRecord } from '../workers/records.js';
import { blockedByBudget } from '../refinery/attempts.js';
import { attemptStore } from '../refinery/attempts.js';
import type { Rig } from '../model/objects.js';
import type { BeadsFact, BlockedIssueFact, CloneFact, DoctorFacts, FailureFact, LockFact, MailFact, RepoBeadsFact, StalledFact } from './facts.js';
import { rigBeadsPaths } from '../town/layout.js';
import { splitTorn } from './judge-files.js';
import { polecatCloneOf } from './judge-sessions.js';
import { unappliedTown } from '../manifest/validate.js';
import type { Issue } from '../beads/record.js';

/** An agent directory's name (a DNS label, as polecat and plugin names are): temporaries beside clones (`*.gt-partial-*`, `*.mail-PID`) never match. */
const AGENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Looks at the whole town once; acts on nothing and takes no lock. */
export async function observeHealth(session: TownSession, world: DesiredWorld, plans: readonly KeyPlan[]): Promise<DoctorFacts> {
  const root = session.root;
  const town = world.town?.manifest;
  const rigs = world.objects.filter((o) => o.manifest.kind === 'Rig').map((o) => o.manifest.metadata.name);
  const sessions = await session.services.sessions(town, true);
  const workers: Record<string, WorkerRecord[]> = {};
  const pools: Record<string, PoolState> = {};
  await Promise.all(
    rigs.map(async (r) => {
      workers[r] = await session.services.workers.list(r);
      pools[r] = await session.services.workers.pool(r);
    }),
  );
  const sessionClones = sessions.map((s) => polecatCloneOf(s, rigs)).filter((c): c is string => c !== undefined);
  const [{ stalled, failures }, clones] = await Promise.all([observeConditions(session, world), observeClones(root, rigs, sessionClones)]);
  const inboxes = await inboxFiles(root, rigs);
  const keyLocks = (await listDir(session.paths.reconcilingDir)).filter((n) => n.endsWith('.lock')).map((n) => path.join(session.paths.reconcilingDir, n));
  const lockFiles = [
    session.paths.lock,
    session.paths.runLock,
    `${session.paths.events}.lock`,
    ...keyLocks,
    ...rigs.map((r) => path.join(root, r, '.beads', 'issues.jsonl.lock')),
    ...inboxes.map((i) => `${i}.lock`),
  ];
  return {
    world,
    socket: session.services.tmux(town).socket,
    sessions,
    workers,
    pools,
    plans: plans.map((p) => ({ key: p.key, controller: p.controller, findings: p.findings, ...(p.error ? { error: p.error } : {}) })),
    stalled,
    failures,
    clones,
    locks: await observeLocks(root, lockFiles),
    beads: await observeBeads(root, rigs, (town ?? unappliedTown(root)).spec.beads.backend === 'auto' && !onPath('bd')),
    repoBeads: await observeRepoBeads(root, world),
    mail: await observeMail(root, inboxes),
    blockedIssues: await observeBlockedIssues(session, world),
    ...(await observeDisk(root)),
  };
}

async function observeDisk(root: string): Promise<Pick<DoctorFacts, 'disk'>> {
  try {
    const s = await statfs(root);
    return { disk: { root, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize } };
  } catch {
    return {};
  }
}

async function observeBlockedIssues(session: TownSession, world: DesiredWorld): Promise<BlockedIssueFact[]> {
  const out: BlockedIssueFact[] = [];
  for (const o of world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const rig = o.manifest;
    const records = (await attemptStore(session.root).list(rig.metadata.name)).filter((a) => a.blockedAt);
    if (!records.length) continue;
    let issues: (Issue | undefined)[];
    try {
      const tracker = await session.services.tracker(rig, world.town?.manifest);
      issues = await Promise.all(records.map((a) => tracker.get(a.issueId)));
    } catch {
      // Issues that cannot be read (a torn line) are that rig's own finding (GT-BEADS-PARSE),
      // not a reason for the whole report to fail.
      continue;
    }
    for (const [i, a] of records.entries()) {
      if (!blockedByBudget(a, issues[i]?.status)) continue;
      out.push({ rig: rig.metadata.name, issueId: a.issueId, rejections: a.rejections.length, reason: a.rejections[a.rejections.length - 1]?.reason ?? 'unknown', blockedAt: a.blockedAt! });
    }
  }
  return out;
}

async function observeConditions(session: TownSession, world: DesiredWorld): Promise<{ stalled: StalledFact[]; failures: FailureFact[] }> {
  const stalled: StalledFact[] = [];
  const failures: FailureFact[] = [];
  for (const o of world.objects) {
    const { kind, metadata } = o.manifest as { kind: Kind; metadata: { name: string } };
    const status = await session.reconciler.status.get(kind, metadata.name);
    const key = keyOf(o.manifest);
    const condition = conditionOf(status, 'Stalled');
    if (condition?.status === 'True') stalled.push({ key, generation: o.generation, condition });
    for (const [controller, s] of Object.entries(status?.controllers ?? {})) {
      // A terminal error is the Stalled condition above; an error under an older spec is over.
      if (!s.lastError || s.observedGeneration !== o.generation || conditionOf(s, 'Stalled')?.reason === 'TerminalError') continue;
      failures.push({ key, controller, error: s.lastError, ...(s.retry ? { nextAttemptAt: s.retry.nextAttemptAt } : {}) });
    }
  }
  return { stalled, failures };
}

/** Each rig's refinery and mayor clones, every polecat directory, and the clones sessions name (a removed rig's too). */
async function observeClones(root: string, rigs: string[], sessionClones: string[]): Promise<CloneFact[]> {
  const wanted = new Map<string, Omit<CloneFact, 'state'>>();
  for (const rig of rigs) {
    wanted.set(`${rig}/refinery/rig`, { path: `${rig}/refinery/rig`, rig, role: 'refinery' });
    wanted.set(`${rig}/mayor/rig`, { path: `${rig}/mayor/rig`, rig, role: 'mayor' });
    for (const name of await listDir(path.join(root, rig, 'polecats'))) {
      if (AGENT_NAME.test(name)) wanted.set(`${rig}/polecats/${name}`, { path: `${rig}/polecats/${name}`, rig, role: 'polecat', polecat: name });
    }
  }
  for (const c of sessionClones) {
    const [rig = '', , polecat = ''] = c.split('/');
    if (!wanted.has(c)) wanted.set(c, { path: c, rig, role: 'polecat', polecat });
  }
  const out = await Promise.all([...wanted.values()].map(async (c) => ({ ...c, state: await inspectClone(path.join(root, c.path), { work: c.role === 'polecat' }) })));
  // A released polecat's directory may hold only its mail: neither a clone nor work.
  const mailOnly = await Promise.all(out.map(async (c) => c.state.state === 'notRepo' && (await listDir(path.join(root, c.path))).every((e) => e === 'mail')));
  return out.filter((c, i) => c.state.state !== 'missing' && !mailOnly[i]);
}

/** Every inbox the mail addresses can name: mayor, overseer, town-wide plugins, and each rig's witness, refinery, polecats and plugins. */
async function inboxFiles(root: string, rigs: string[]): Promise<string[]> {
  const dirs = [path.join(root, 'mayor'), path.join(root, 'overseer'), ...(await listDir(path.join(root, 'plugins'))).filter((n) => AGENT_NAME.test(n)).map((n) => path.join(root, 'plugins', n))];
  for (const rig of rigs) {
    dirs.push(path.join(root, rig, 'witness'), path.join(root, rig, 'refinery'));
    for (const group of ['polecats', 'plugins']) {
      for (const name of await listDir(path.join(root, rig, group))) if (AGENT_NAME.test(name)) dirs.push(path.join(root, rig, group, name));
    }
  }
  const files = dirs.map((d) => path.join(d, 'mail', 'inbox.jsonl'));
  const isFile = await Promise.all(files.map(async (f) => (await statIfExists(f))?.isFile() === true));
  return files.filter((_, i) => isFile[i]);
}

async function observeLocks(root: string, files: string[]): Promise<LockFact[]> {
  // A stale holder can also be left on the short-lived break lock beside each lock.
  const candidates = files.flatMap((f) => [f, `${f}.break`]);
  const present = await Promise.all(candidates.map(async (f) => (await statIfExists(f)) !== undefined));
  const all = candidates.filter((_, i) => present[i]);
  const out: LockFact[] = [];
  for (const file of all) {
    const holder = await readLockHolder(file);
    if (holder) out.push({ file: path.relative(root, file), holder, stale: isStale(holder) });
  }
  return out;
}

/** `bdUnreachable`: the backend is auto and bd is not on PATH, so a rig with a bd database is stuck (openTracker's BdNotOnPath). */
async function observeBeads(root: string, rigs: string[], bdUnreachable: boolean): Promise<BeadsFact[]> {
  const out: BeadsFact[] = [];
  for (const rig of rigs) {
    const rel = `${rig}/.beads/issues.jsonl`;
    const text = await readTextIfExists(path.join(root, rel));
    const beadsDir = path.join(root, rig, '.beads');
    const database = bdUnreachable ? await findBdDatabase(beadsDir) : undefined;
    const bdMissing = database ? { bdMissing: describeBdDatabase(database, beadsDir) } : {};
    if (text !== undefined || database) out.push({ file: rel, problems: text === undefined ? [] : beadsProblems(text, rel), ...bdMissing });
  }
  return out;
}

/**
 * Rigs whose spec says nothing of where their issues live (so gt uses the town's .beads) while
 * the repository, as the refinery clone has it, carries a tracker: issues.jsonl with issues, or a
 * bd database.
 */
async function observeRepoBeads(root: string, world: DesiredWorld): Promise<RepoBeadsFact[]> {
  const out: RepoBeadsFact[] = [];
  for (const o of world.objects) {
    const found = o.manifest.kind === 'Rig' ? await unusedRepoBeads(root, o.manifest) : undefined;
    if (found) out.push({ rig: o.manifest.metadata.name, found });
  }
  return out;
}

/** The repository's own tracker of a rig that uses the town's by default, described; else undefined. */
export async function unusedRepoBeads(root: string, rig: Rig): Promise<string | undefined> {
  if (rig.spec.beads.location !== undefined) return undefined;
  const beadsDir = rigBeadsPaths(root, rig.metadata.name, 'repository').dir;
  const rel = path.relative(root, beadsDir);
  const database = await findBdDatabase(beadsDir);
  if (database) return `${describeBdDatabase(database, beadsDir)} in ${rel}`;
  const text = await readTextIfExists(path.join(beadsDir, 'issues.jsonl'));
  const issues = text === undefined ? 0 : countIssues(text);
  return issues > 0 ? `${rel}/issues.jsonl with ${issues} issue${issues === 1 ? '' : 's'}` : undefined;
}

/** Issue records in a beads file; one that does not parse counts its lines (still a tracker). */
function countIssues(text: string): number {
  try {
    return fileIssues(parseBeadsFile(text, 'issues.jsonl')).length;
  } catch {
    return text.split('\n').filter((l) => l.trim()).length;
  }
}

function beadsProblems(text: string, file: string): Diagnostic[] {
  try {
    parseBeadsFile(text, file);
    return [];
  } catch (err) {
    if (err instanceof GtFailure && err.error.kind === 'invalidInput') return err.error.diagnostics;
    throw err;
  }
}

async function observeMail(root: string, inboxes: string[]): Promise<MailFact[]> {
  return Promise.all(inboxes.map(async (f) => ({ file: path.relative(root, f), torn: splitTorn((await readTextIfExists(f)) ?? '').torn.map((t) => t.line) })));
}
