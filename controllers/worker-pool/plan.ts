import { dispatchable } from '../../src/beads/ready.js';
import type { Finding, Plan } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import type { Issue } from '../../src/beads/record.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import { awaitVerdict, unresponsiveFinding } from '../../src/plugins/hooks.js';
import { openBreaker, stillTripped } from '../../src/workers/breaker.js';
import { CRASH_WINDOW_MS, crashChain, isCrashLoop, restartBackoffMs } from '../../src/util/crash-chain.js';
import { cloneIsDisposable } from '../../src/policy/clone-safety.js';
import { nextCloneAttemptAt } from '../../src/workers/clone-failures.js';
import { verificationProblems } from '../../src/workers/verification.js';
import { rigDefaultBranch } from '../../src/town/default-branch.js';
import { parseDuration } from '../../src/util/duration.js';
import type { WorkerAction } from './actions.js';
import { lostClaims, partialClones } from './leftovers.js';
import type { PoolObserved, SessionView } from './observed.js';

/** Built-in polecat names, used in order when the spec gives none. */
export const NAME_POOL = [
  'nux',
  'toast',
  'capable',
  'furiosa',
  'slit',
  'rictus',
  'ace',
  'dag',
  'max',
  'angharad',
  'cheedo',
  'keeper',
  'valkyrie',
  'morsov',
  'toecutter',
  'dementus',
  'scrotus',
  'praetorian',
  'buzzard',
  'glory',
];
/** A session that dies sooner than this after starting counts as a failed spawn (for the breaker). */
export const EARLY_DEATH_MS = 10_000;
/** A polecat that handed off gets its fresh session once its pane has been quiet this long. */
export const HANDOFF_IDLE_MS = 3000;
/** A session alive this long proves spawning works again: the failure count resets. */
const HEALTHY_AFTER_MS = 30_000;

export function branchName(polecat: string, issueId: string): string {
  return `polecat/${polecat}/${issueId}`;
}

export interface PoolSettings {
  max: number;
  spawnDelayMs: number;
  stuckAfterMs: number;
  maxNudges: number;
  restartBackoffMs: number;
  maxRestarts: number;
  restartBudget: number;
  breakerThreshold: number;
  names: string[];
}

export function poolSettings(rig: Rig): PoolSettings {
  const w = rig.spec.workers;
  return {
    max: w.max,
    spawnDelayMs: parseDuration(w.spawnDelay),
    stuckAfterMs: parseDuration(w.stuckAfter),
    maxNudges: w.maxNudges,
    restartBackoffMs: parseDuration(w.restartBackoff),
    maxRestarts: w.maxRestarts,
    restartBudget: w.restartBudget,
    breakerThreshold: w.breakerThreshold,
    names: [...new Set(w.names?.length ? w.names : NAME_POOL)],
  };
}

/** How often a rig whose issues live in its repository looks for issues pushed by others (the tracker's fetch interval). */
const REPOSITORY_ISSUES_RECHECK_MS = 5000;

interface Acc {
  actions: WorkerAction[];
  findings: Finding[];
  notes: string[];
  requeue: number[];
}

/** Pure: what the worker pool of one rig should do now (DESIGN.md §4 worker-pool). */
export function planPool(rig: Rig, generation: number, stopping: boolean, o: PoolObserved, opts: { townSuspended?: boolean; agent?: string } = {}): Plan<WorkerAction> {
  // Nothing was observed but the reason: no action can be planned safely, not even a finish.
  if (o.trackerUnavailable?.waiting) return { actions: [], findings: [], notes: [o.trackerUnavailable.message], requeueAfterMs: 1000 };
  if (o.trackerUnavailable) return { actions: [], findings: [{ code: o.trackerUnavailable.code, message: o.trackerUnavailable.message }] };
  const agent = opts.agent ?? '';
  const s = poolSettings(rig);
  const suspended = rig.spec.suspend ? 'the rig is suspended' : opts.townSuspended ? 'the town is stopped' : undefined;
  const name = rig.metadata.name;
  const acc: Acc = { actions: [], findings: [], notes: [], requeue: [] };
  const sessions = new Map(o.sessions.filter((x) => x.polecat).map((x) => [x.polecat!, x]));
  const issues = new Map(o.issues.map((i) => [i.id, i]));

  const rearmed = (r: WorkerRecord) =>
    r.state === 'crashLooping' && ((r.crashLoop !== undefined && !stillTripped(r.crashLoop, generation, agent)) || (!!o.pool.rearmedAt && !!r.escalatedAt && o.pool.rearmedAt > r.escalatedAt));
  const base = rigDefaultBranch(rig, o.remoteHead);
  for (const r of o.records) {
    if (rearmed(r)) planRearm(r, o, sessions.get(r.name), acc);
    else planWorker(r, s, o, sessions.get(r.name), issues.get(r.issueId), acc, suspended, base);
  }

  const known = new Set(o.records.map((r) => r.name));
  acc.actions.push(...partialClones(o), ...lostClaims(name, o, known));
  for (const x of o.sessions) {
    if (x.polecat && known.has(x.polecat)) continue;
    const clone = x.polecat ? o.clones[x.polecat] : undefined;
    if (clone?.unsafe) acc.findings.push({ code: 'OrphanSessionWithWork', message: `session ${x.name} has no worker record and its clone ${clone.unsafe}; stop it by hand once the work is safe` });
    else acc.actions.push({ type: 'stopOrphan', session: x.name, clone: x.polecat ? `${name}/polecats/${x.polecat}` : undefined });
  }

  const breaker = openBreaker(o.pool, generation, agent);
  if (breaker) {
    acc.findings.push({ code: 'BreakerOpen', message: `dispatch stopped since ${breaker.openedAt}: ${breaker.reason}; change the Rig spec or the Town's agent, or run gt reset-breaker ${name}` });
  } else if (o.pool.breaker) {
    // Re-armed by a change of the Rig spec or its agent: the deaths counted under the old one
    // say nothing about the new one, so they are forgotten before anything can trip again.
    acc.actions.push({ type: 'resetSpawnFailures', rearmed: true });
  } else if (o.pool.spawnFailures >= s.breakerThreshold) {
    acc.actions.push({ type: 'tripBreaker', reason: `${o.pool.spawnFailures} spawns in a row died within ${EARLY_DEATH_MS / 1000}s`, agent });
  } else if (o.pool.spawnFailures > 0 && o.records.some((r) => sessions.get(r.name)?.alive && o.now - lastStart(r) >= HEALTHY_AFTER_MS)) {
    acc.actions.push({ type: 'resetSpawnFailures' });
  }

  for (const p of o.stuckPlugins) {
    const f = unresponsiveFinding(p, 'onWorkerStuck', o.stuckAsked[p.name] ?? [], o.stuckVerdicts, o.now);
    if (f) acc.findings.push(f);
  }

  const cloneWait = planCloneBackoff(rig, o, acc);

  const busy = o.records.length;
  if (busy > s.max) acc.notes.push(`${busy} polecats working, max is ${s.max}: no new work until they finish (none is stopped)`);
  const blockedBy = dispatchBlocker(o, { stopping, suspended, breaker: !!breaker, base, cloneWait });
  if (blockedBy) {
    if (!o.contractReady) acc.requeue.push(500);
    else if ((!o.refineryCloned || !base) && o.ready.length) acc.requeue.push(1000);
    else if (cloneWait > 0 && o.ready.length) acc.requeue.push(cloneWait);
    if (o.ready.length) acc.notes.push(`${o.ready.length} ready issue${o.ready.length === 1 ? '' : 's'} wait: ${blockedBy}`);
  } else if (base) {
    planDispatch(name, base, s, o, busy, acc);
  }
  // Issues kept in the repository change by pushes no watch can see here: look again as often as
  // the tracker fetches.
  if (rig.spec.beads?.location === 'repository') acc.requeue.push(REPOSITORY_ISSUES_RECHECK_MS);
  return {
    actions: acc.actions,
    findings: acc.findings,
    notes: acc.notes,
    ...(acc.requeue.length ? { requeueAfterMs: Math.max(50, Math.min(...acc.requeue)) } : {}),
    details: {
      workers: o.records.map((r) => ({ name: r.name, issue: r.issueId, state: r.state, since: r.createdAt, nudges: r.nudges, restarts: Math.max(0, r.starts.length - 1) })),
      ready: o.ready.map((i) => i.id),
      breaker: breaker ?? null,
      spawnFailures: o.pool.spawnFailures,
      cloneFailures: o.pool.cloneFailures ? { ...o.pool.cloneFailures, nextAttemptAt: new Date(nextCloneAttemptAt(o.pool.cloneFailures)).toISOString() } : null,
    },
  };
}

/**
 * Spawns whose clone failed back off: dispatch in the rig waits until the time computed from the
 * recorded attempts (each failed spawn released its issue). Returns how long is left to wait.
 * The finding names an absolute time, so that it reads the same on every pass until it changes.
 */
function planCloneBackoff(rig: Rig, o: PoolObserved, acc: Acc): number {
  const f = o.pool.cloneFailures;
  if (!f) return 0;
  const at = nextCloneAttemptAt(f);
  const what = `cloning ${rig.spec.gitUrl} for polecat ${f.polecat} (${f.issueId}) failed ${f.attempts === 1 ? 'once' : `${f.attempts} times in a row`}, last at ${f.lastAt}: ${f.error}`;
  if (!o.ready.length) {
    acc.notes.push(`${what}; the next spawn tries again`);
    return 0;
  }
  acc.findings.push({ code: 'CloneFailing', message: `${what}; its issue went back to the ready queue; retrying with backoff, next attempt at ${new Date(at).toISOString()}` });
  return at - o.now;
}

/**
 * A crash-looping worker re-armed by a change of the Rig spec or the effective agent, or by gt
 * reset-breaker: its issue goes back to ready unclaimed (never closed), its session is ended and
 * the worker released, its clone kept if it holds work.
 */
function planRearm(r: WorkerRecord, o: PoolObserved, session: SessionView | undefined, acc: Acc): void {
  acc.actions.push({
    type: 'releaseIssue',
    name: r.name,
    issueId: r.issueId,
    why: o.pool.rearmedAt && r.escalatedAt && o.pool.rearmedAt > r.escalatedAt ? 'gt reset-breaker' : 'the Rig spec or its agent changed',
  });
  if (session) acc.actions.push({ type: 'stopSession', name: r.name, session: session.name });
  acc.actions.push({ type: 'releaseWorker', name: r.name, removeClone: cloneIsDisposable(o.clones[r.name]?.verify) });
}

function lastStart(r: WorkerRecord): number {
  const t = r.starts[r.starts.length - 1];
  return t ? Date.parse(t) : Date.parse(r.createdAt);
}

function planWorker(
  r: WorkerRecord,
  s: PoolSettings,
  o: PoolObserved,
  session: SessionView | undefined,
  issue: Issue | undefined,
  acc: Acc,
  suspended: string | undefined,
  base: string | undefined,
): void {
  if (r.state === 'starting') {
    if (base) acc.actions.push({ type: 'spawnWorker', name: r.name, issueId: r.issueId, title: issue?.title ?? r.issueId, branch: r.branch, base });
    else acc.notes.push(`polecat ${r.name}'s spawn waits: the rig's default branch is not known yet`);
    return;
  }
  if (r.releasingAt) {
    // A release cut short after its clone was judged safe to delete (and maybe deleted): finished as it began.
    if (session) acc.actions.push({ type: 'stopSession', name: r.name, session: session.name });
    acc.actions.push({ type: 'releaseWorker', name: r.name, removeClone: true });
    return;
  }
  const signal = o.signals[r.name];
  if (signal) {
    planDone(r, signal.status, signal.message ?? '', o, session, acc);
    return;
  }
  if (issue?.status === 'closed' || issue?.status === 'blocked') {
    // Closed by someone else (a person, a merge) or blocked (its merge budget spent, or by a
    // person): nothing to verify or hand on; the worker is released and its clone kept if it
    // holds anything.
    if (session) acc.actions.push({ type: 'stopSession', name: r.name, session: session.name });
    acc.actions.push({ type: 'releaseWorker', name: r.name, removeClone: cloneIsDisposable(o.clones[r.name]?.verify) });
    return;
  }
  if (r.state === 'stalled' || r.state === 'crashLooping') {
    acc.findings.push({
      code: r.state === 'stalled' ? 'WorkerStalled' : 'WorkerCrashLooping',
      message: `polecat ${r.name} on ${r.issueId} was escalated at ${r.escalatedAt}; it keeps its claim and clone until a person decides`,
    });
    return;
  }
  if (!session?.alive && suspended) {
    // A stop (gt stop --now, or a session that ended meanwhile) must not be undone by a restart.
    acc.notes.push(`polecat ${r.name}'s session ${session ? 'exited' : 'is gone'} while ${suspended.replace(/^the /, '')}: it starts again on gt start (its issue and clone are kept)`);
    return;
  }
  // Its clone gone (removed by hand), a session started there would run the agent outside any
  // clone: the spawn is made again instead, a fresh clone on its branch as pushed if it was.
  const restart = (a: Extract<WorkerAction, { type: 'restartSession' }>) => {
    if (o.clones[r.name]?.exists !== false) acc.actions.push(a);
    else if (base) acc.actions.push({ type: 'spawnWorker', name: r.name, issueId: r.issueId, title: issue?.title ?? r.issueId, branch: r.branch, base });
    else acc.notes.push(`polecat ${r.name}'s clone is gone; its spawn waits: the rig's default branch is not known yet`);
  };
  if (!session?.alive && r.haltedAt) {
    restart({ type: 'restartSession', name: r.name, reason: `its session was ended by gt stop --now at ${r.haltedAt}`, earlyDeath: false });
    return;
  }
  if (!session?.alive) {
    // Starts in an unbroken chain, each within 10 minutes of the next: each one died, no run in between was healthy.
    const deaths = crashChain(r.starts, o.now, CRASH_WINDOW_MS);
    const early = o.now - lastStart(r) < EARLY_DEATH_MS || (session !== undefined && session.activityAt - lastStart(r) < EARLY_DEATH_MS);
    if (isCrashLoop(deaths, s.maxRestarts)) {
      acc.actions.push({ type: 'escalate', name: r.name, state: 'crashLooping', reason: `its session died ${deaths} times without running 10 minutes in one go` });
      return;
    }
    if (r.starts.length - 1 >= s.restartBudget) {
      acc.actions.push({ type: 'escalate', name: r.name, state: 'crashLooping', reason: `its session died ${r.starts.length} times on ${r.issueId} (workers.restartBudget ${s.restartBudget})` });
      return;
    }
    const wait = restartBackoffMs(s.restartBackoffMs, deaths) - (o.now - lastStart(r));
    if (wait > 0) {
      acc.notes.push(`polecat ${r.name}'s session ${session ? 'exited' : 'is gone'}; restart in ${Math.ceil(wait / 1000)}s`);
      acc.requeue.push(wait);
      return;
    }
    restart({ type: 'restartSession', name: r.name, reason: session ? 'its session exited' : 'its session is gone', earlyDeath: early });
    return;
  }
  const handoff = o.handoffs[r.name];
  if (handoff) {
    // Never mid-turn: the fresh session starts once the old one's pane has been quiet a while.
    const quiet = o.now - session.activityAt;
    if (quiet >= HANDOFF_IDLE_MS) acc.actions.push({ type: 'cycleWorker', name: r.name, handoff });
    else acc.requeue.push(HANDOFF_IDLE_MS - quiet);
    return;
  }
  const clone = o.clones[r.name];
  const lastProgress = Math.max(session.activityAt, clone?.headMovedAt ?? 0, lastStart(r), r.lastNudgeAt ? Date.parse(r.lastNudgeAt) : 0);
  const idle = o.now - lastProgress;
  if (idle < s.stuckAfterMs) {
    acc.requeue.push(s.stuckAfterMs - idle);
    return;
  }
  const mins = Math.round(idle / 60_000);
  const plugin = o.stuckPlugins.find((p) => p.name === r.stuckAsk?.plugin) ?? o.stuckPlugins[0];
  if (plugin) {
    // onWorkerStuck: the plugin decides; silence means its default verdict after its timeout.
    if (!r.stuckAsk) {
      acc.actions.push({ type: 'askStuckPlugin', name: r.name, plugin: plugin.name, address: plugin.address, quietMinutes: mins });
      return;
    }
    const v = awaitVerdict(plugin, r.stuckAsk, o.stuckVerdicts, o.now);
    if (!('verdict' in v)) {
      acc.notes.push(`polecat ${r.name} is stuck; plugin ${plugin.name} decides (at most ${Math.ceil(v.waitMs / 1000)}s more)`);
      acc.requeue.push(v.recheckMs);
      return;
    }
    if (v.verdict === 'escalate') {
      acc.actions.push({ type: 'escalate', name: r.name, state: 'stalled', reason: `plugin ${plugin.name} said escalate (onWorkerStuck) after ${mins || '<1'} min without progress` });
      return;
    }
  }
  if (r.nudges < s.maxNudges) {
    acc.actions.push({
      type: 'nudge',
      name: r.name,
      count: r.nudges + 1,
      message: `No output and no commits for ${mins || '<1'} min. Are you stuck? Finish with gt done, or gt done --status escalated -m "why".`,
    });
  } else {
    acc.actions.push({ type: 'escalate', name: r.name, state: 'stalled', reason: `no progress after ${r.nudges} nudges` });
  }
}

function planDone(r: WorkerRecord, status: 'completed' | 'deferred' | 'escalated', message: string, o: PoolObserved, session: SessionView | undefined, acc: Acc): void {
  const clone = o.clones[r.name];
  const problems = verificationProblems(clone?.verify, r.branch);
  if (status === 'completed') {
    if (problems.length) {
      acc.actions.push({ type: 'rejectDone', name: r.name, problems });
      return;
    }
    acc.actions.push({ type: 'markReadyToMerge', name: r.name, issueId: r.issueId, branch: r.branch, head: clone!.verify!.head! });
  } else {
    acc.actions.push({ type: 'returnIssue', name: r.name, issueId: r.issueId, status, message });
  }
  if (session) acc.actions.push({ type: 'stopSession', name: r.name, session: session.name });
  acc.actions.push({ type: 'releaseWorker', name: r.name, removeClone: cloneIsDisposable(clone?.verify) });
}

function planDispatch(rig: string, base: string, s: PoolSettings, o: PoolObserved, busy: number, acc: Acc): void {
  const free = s.max - busy;
  if (free <= 0 || !o.ready.length) return;
  const sinceLast = o.pool.lastSpawnAt ? o.now - Date.parse(o.pool.lastSpawnAt) : Infinity;
  if (sinceLast < s.spawnDelayMs) {
    acc.notes.push(`next polecat starts in ${Math.ceil((s.spawnDelayMs - sinceLast) / 1000)}s (spawnDelay)`);
    acc.requeue.push(s.spawnDelayMs - sinceLast);
    return;
  }
  const working = new Set(o.records.map((r) => r.name));
  const busyNames = new Set([...working, ...o.sessions.map((x) => x.polecat).filter((n): n is string => !!n)]);
  // A directory under polecats/ that is not a worker's may hold kept work; only mail is reusable.
  const taken = new Set([...busyNames, ...o.polecatDirs.filter((d) => !o.reusableDirs.includes(d))]);
  const perSwarm = new Map<string, number>();
  for (const r of o.records) {
    const sw = o.swarmOf[r.issueId];
    if (sw) perSwarm.set(sw, (perSwarm.get(sw) ?? 0) + 1);
  }
  // The dispatch set: bd's ready set minus claimed issues (held by a person, or by one of our worker records).
  const held = new Set(o.records.map((r) => r.issueId));
  const open = dispatchable(o.ready, (a) => a.startsWith(`${rig}/polecats/`)).filter((i) => !held.has(i.id));
  if (open.length < o.ready.length) acc.notes.push(`${o.ready.length - open.length} ready issue(s) are already claimed: not dispatched`);
  const candidates = open.filter((i) => {
    const sw = o.swarmOf[i.id];
    if (!sw) return true;
    const limit = o.swarmLimits[sw];
    if (limit === 'suspended') return false;
    return limit === undefined || (perSwarm.get(sw) ?? 0) < limit;
  });
  if (candidates.length < open.length) acc.notes.push(`${open.length - candidates.length} ready issue(s) wait for their swarm (maxParallel or suspended)`);
  // With a spawn delay, one polecat per pass: the delay is measured from each start.
  const count = Math.min(s.spawnDelayMs > 0 ? 1 : free, candidates.length);
  let pool = s.names.filter((n) => !taken.has(n));
  let started = 0;
  for (const issue of candidates) {
    if (started >= count) break;
    // Work sent back by the merge queue goes back to the polecat that did it: it waits for that name.
    const previous = issue.assignee?.startsWith(`${rig}/polecats/`) ? issue.assignee.slice(`${rig}/polecats/`.length) : undefined;
    if (previous && busyNames.has(previous)) {
      acc.notes.push(`${issue.id} waits for polecat ${previous}, whose work it is`);
      continue;
    }
    const sw = o.swarmOf[issue.id];
    const limit = sw ? o.swarmLimits[sw] : undefined;
    if (typeof limit === 'number' && (perSwarm.get(sw!) ?? 0) >= limit) continue;
    const polecat = previous ?? pool[0] ?? `polecat-${busy + started + 1}`;
    pool = pool.filter((n) => n !== polecat);
    busyNames.add(polecat);
    taken.add(polecat);
    if (sw) perSwarm.set(sw, (perSwarm.get(sw) ?? 0) + 1);
    acc.actions.push({ type: 'spawnWorker', name: polecat, issueId: issue.id, title: issue.title, branch: branchName(polecat, issue.id), base });
    started++;
  }
  if (started && started < Math.min(free, candidates.length)) acc.requeue.push(s.spawnDelayMs);
}

/** Why no polecat may be dispatched in the rig now, or undefined when one may. */
function dispatchBlocker(o: PoolObserved, w: { stopping: boolean; suspended: string | undefined; breaker: boolean; base: string | undefined; cloneWait: number }): string | undefined {
  if (w.stopping) return 'the rig is being removed';
  if (w.suspended) return w.suspended;
  if (w.breaker) return 'the circuit breaker is open';
  if (!o.contractReady) return 'the town layout (.gt/bin/gt) is not ready yet';
  // A polecat's clone of a remote (or a branch) the rig itself could not clone would only fail after its issue was claimed.
  if (!o.refineryCloned) return "the rig's refinery clone is not made yet (gt status says why when its clone failed)";
  if (!w.base) return "the rig's default branch is not known yet (the remote's HEAD, read from the refinery clone once it exists; or set the Rig's defaultBranch)";
  if (w.cloneWait > 0) return `the last clone failed; the next attempt is in ${Math.ceil(w.cloneWait / 1000)}s`;
  return undefined;
}
