import path from 'node:path';
import { computeChanges, type Change, type Incoming } from '../../apply/changeset.js';
import { writeChanges } from '../../apply/write.js';
import { inspectClone } from '../../adapters/git.js';
import type { SessionInfo } from '../../runtime/tmux.js';
import { heldWork, type CloneWork } from '../../policy/clone-safety.js';
import { SessionStore } from '../../sessions/records.js';
import { fail } from '../../errors.js';
import type { Plugin, Town } from '../../model/objects.js';
import type { StoredObject } from '../../store/store.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { parseDuration } from '../../util/duration.js';
import { lockTimeoutMs, outputFormat, print, printData, printResult, type GlobalOptions, type OutputFormat } from '../options.js';
import type { KeyOutcome } from '../../engine/reconciler.js';
import { changeLines, failOnErrors, passLines } from '../render.js';

export interface StopOptions {
  now?: boolean;
  reconcile?: boolean;
  wait?: string;
  output?: string;
}

/** A polecat clone holding work nobody has pushed. */
interface HeldWork {
  clone: string;
  issue?: string;
  work: CloneWork;
}

/** Who carries out the change: the running loop, this command, or nobody yet (--no-reconcile). */
type ReconciledBy = { pid: number } | 'stop' | 'start' | 'nobody';

/**
 * `gt stop [RIG]`: declarative. It sets `suspend` on the Town (or the Rig) and the Plugins in
 * scope, so the loop keeps them stopped and `gt diff` shows it; the session-cycle controller then
 * ends the long-running sessions after a handoff. Polecats are never killed by a stop: they
 * finish their issue (no new one starts) and are reported. `--now` is the emergency halt.
 */
export async function stopCommand(g: GlobalOptions, rig: string | undefined, o: StopOptions): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const changes = await setSuspend(session, g, rig, true, format);
  const town = (await session.store.list('Town'))[0]?.manifest as Town | undefined;
  if (o.now) {
    // Every session on the town's socket at once: the whole private server. Nothing on disk is touched.
    const before = await session.services.sessions(town, true);
    await recordHalt(session, before);
    const socket = session.services.tmux(town).socket;
    await session.services.tmux(town).killServer();
    const kept = await unpushedWork(session, rig);
    await printResult(format, { town: session.root, changes: changeData(changes), halted: { socket, sessions: before.map((x) => x.name) }, kept }, () => [
      `Ended ${before.length} session${before.length === 1 ? '' : 's'} at once (tmux server ${socket}); nothing on disk was deleted.`,
      ...kept.map((k) => `Kept: ${k.clone} (${k.issue}) holds ${heldWork(k.work)}.`),
    ]);
    return 0;
  }
  const waitMs = parseDuration(o.wait ?? '60s');
  const reconciledBy = o.reconcile !== false ? await settle(session, rig, waitMs, format) : 'nobody';
  const left = await leftRunning(session, rig);
  await printResult(format, { town: session.root, changes: changeData(changes), reconciledBy, ...left }, () => leftLines(left));
  return 0;
}

/**
 * Written before the kill: these sessions end on purpose, so `gt start` brings them back at
 * once instead of treating them as crashes (backoff, crash-loop counts).
 */
async function recordHalt(session: TownSession, sessions: SessionInfo[]): Promise<void> {
  const at = new Date().toISOString();
  const records = new SessionStore(path.join(session.paths.gtDir, 'sessions'));
  for (const s of sessions) {
    if (s.meta.role && s.meta.role !== 'polecat') {
      await records.update(s.name, (r) => ({ ...r, stoppedAt: at }));
    } else if (s.meta.rig && s.meta.polecat) {
      await session.services.workers.update(s.meta.rig, s.meta.polecat, (w) => ({ ...w, haltedAt: at }));
    }
  }
}

export async function startCommand(g: GlobalOptions, rig: string | undefined, o: { reconcile?: boolean; output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const changes = await setSuspend(session, g, rig, false, format);
  const loop = await session.runningLoop();
  const result = { town: session.root, changes: changeData(changes) };
  if (o.reconcile === false || loop) {
    if (format !== 'text') await printData(format, { ...result, reconciledBy: loop ? { pid: loop.pid } : 'nobody', outcomes: [] });
    return 0;
  }
  const outcomes = await session.reconciler.reconcileAll({ wait: { command: 'gt start', waitMs: 0 }, only: await scopeOf(session, rig) });
  await printResult(format, { ...result, reconciledBy: 'start', outcomes }, () => passLines(outcomes));
  failOnErrors(outcomes, (key) => !rig || key === `Rig/${rig}`);
  return 0;
}

function changeData(changes: Change[]): { op: Change['op']; key: string }[] {
  return changes.filter((c) => c.op !== 'unchanged').map(({ op, key }) => ({ op, key }));
}

/** The objects a stop or start applies to: the Town and every Rig and Plugin, or one Rig and its Plugins. */
function inScope(objects: StoredObject[], rig: string | undefined): StoredObject[] {
  return objects.filter((o) => {
    const m = o.manifest;
    if (rig === undefined) return m.kind === 'Town' || m.kind === 'Rig' || m.kind === 'Plugin';
    return (m.kind === 'Rig' && m.metadata.name === rig) || (m.kind === 'Plugin' && m.spec.rig === rig);
  });
}

/**
 * What `gt stop`/`gt start` stores: `suspend` set on the objects in scope, through the same path
 * as gt apply (a changed spec is a new generation, logged as applied). Pure; the dashboard shows
 * it (and the plan it leads to) before a person confirms.
 */
export function suspendChanges(stored: StoredObject[], rig: string | undefined, suspend: boolean, now: string): Change[] {
  const incoming: Incoming[] = inScope(stored, rig).map((o) => ({
    manifest: { ...o.manifest, spec: { ...o.manifest.spec, suspend } } as StoredObject['manifest'],
    written: { ...o.lastApplied, spec: { ...(o.lastApplied.spec as Record<string, unknown>), suspend } },
    source: o.source ?? `gt ${suspend ? 'stop' : 'start'}`,
  }));
  return computeChanges(incoming, stored, { prune: false, now });
}

/** Stores the change under the town lock (printing it for people at once: a stop may then wait a minute); returns it. */
async function setSuspend(session: TownSession, g: GlobalOptions, rig: string | undefined, suspend: boolean, format: OutputFormat): Promise<Change[]> {
  await session.init();
  const lock = await session.lock(suspend ? 'gt stop' : 'gt start', lockTimeoutMs(g));
  try {
    const stored = await session.store.list();
    if (rig !== undefined && !stored.some((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === rig)) fail({ kind: 'notFound', message: `no Rig "${rig}" in ${session.root}` });
    const now = new Date().toISOString();
    const changes = suspendChanges(stored, rig, suspend, now);
    await writeChanges(session, changes, now);
    const lines = changeLines(changes);
    if (format === 'text') print(lines.length ? lines : [`Already ${suspend ? 'stopped' : 'started'}.`]);
    return changes;
  } finally {
    await lock.release();
  }
}

/** Reconciles until the stopped long-running sessions have ended (after their handoff) or the wait is over. */
async function settle(session: TownSession, rig: string | undefined, waitMs: number, format: OutputFormat): Promise<ReconciledBy> {
  const loop = await session.runningLoop();
  if (loop) {
    if (format === 'text') print(`The running loop (pid ${loop.pid}) ends the sessions after their handoff.`);
    return { pid: loop.pid };
  }
  const end = Date.now() + waitMs;
  const failed = new Map<string, KeyOutcome>();
  for (;;) {
    for (const x of await session.reconciler.reconcileAll({ wait: { command: 'gt stop', waitMs: 0 }, only: await scopeOf(session, rig) })) if (x.failed) failed.set(x.label, x);
    if (!(await liveSessions(session, rig)).roles.length || Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  // The stop is stored and takes effect; a failure elsewhere (a clone of another rig) is a
  // warning, said once, never a reason to say the stop failed.
  failOnErrors([...failed.values()], () => false);
  return 'stop';
}

/**
 * What a stop or start of one rig reconciles: that rig and its plugins, nothing else (another
 * rig's failing clone is not this command's business); the whole town when no rig is named.
 */
async function scopeOf(session: TownSession, rig: string | undefined): Promise<((key: string) => boolean) | undefined> {
  if (rig === undefined) return undefined;
  const plugins = (await session.store.list('Plugin')).filter((p) => (p.manifest as Plugin).spec.rig === rig).map((p) => `Plugin/${p.manifest.metadata.name}`);
  const keys = new Set([`Rig/${rig}`, ...plugins]);
  return (key) => keys.has(key);
}

/** Live sessions in scope, one listing: the long-running agents' and the polecats'. */
async function liveSessions(session: TownSession, rig: string | undefined): Promise<{ roles: SessionInfo[]; polecats: SessionInfo[] }> {
  const town = (await session.store.list('Town'))[0]?.manifest as Town | undefined;
  const live = (await session.services.sessions(town, true)).filter((s) => !s.dead && (rig === undefined || s.meta.rig === rig));
  const isPolecat = (s: SessionInfo) => (s.meta.role ?? 'polecat') === 'polecat';
  return { roles: live.filter((s) => !isPolecat(s)), polecats: live.filter(isPolecat) };
}

interface LeftRunning {
  /** Long-running agent sessions still ending after their handoff. */
  ending: string[];
  /** Polecats, never stopped by a stop: each finishes its issue. */
  polecats: { session: string; issue?: string; work?: HeldWork['work'] }[];
}

async function leftRunning(session: TownSession, rig: string | undefined): Promise<LeftRunning> {
  const { roles, polecats } = await liveSessions(session, rig);
  const left: LeftRunning = { ending: roles.map((s) => s.name), polecats: [] };
  for (const p of polecats) {
    const clone = p.meta.rig && p.meta.polecat ? path.join(session.root, p.meta.rig, 'polecats', p.meta.polecat) : undefined;
    const state = clone ? await inspectClone(clone, { work: true }) : undefined;
    const work = state?.state === 'repo' && state.work && heldWork(state.work) ? state.work : undefined;
    left.polecats.push({ session: p.name, ...(p.meta.issue ? { issue: p.meta.issue } : {}), ...(work ? { work } : {}) });
  }
  return left;
}

function leftLines(left: LeftRunning): string[] {
  const lines: string[] = [];
  if (left.ending.length) lines.push(`Still ending after their handoff: ${left.ending.join(', ')} (gt run finishes it; gt stop --now ends them at once).`);
  for (const p of left.polecats) lines.push(`Left running: ${p.session} (${p.issue ?? 'no issue'}) finishes its issue${p.work ? `; it holds ${heldWork(p.work)}` : ''}.`);
  if (!lines.length) lines.push('Every agent session in scope has ended.');
  return lines;
}

/** After `--now`: which clones hold work nobody has pushed (kept, as everything on disk). */
async function unpushedWork(session: TownSession, rig: string | undefined): Promise<HeldWork[]> {
  const records = (await session.store.list('Rig')).map((o) => o.manifest.metadata.name).filter((n) => rig === undefined || n === rig);
  const held: HeldWork[] = [];
  for (const r of records) {
    for (const w of await session.services.workers.list(r)) {
      const state = await inspectClone(path.join(session.root, r, 'polecats', w.name), { work: true });
      if (state.state === 'repo' && state.work && heldWork(state.work)) held.push({ clone: `${r}/polecats/${w.name}`, issue: w.issueId, work: state.work });
    }
  }
  return held;
}
