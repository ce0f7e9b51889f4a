import path from 'node:path';
import { inspectClone, PARTIAL_MARK } from '../../src/adapters/git.js';
import { BdNotOnPath } from '../../src/beads/layout.js';
import { BeadsCloneMissing } from '../../src/beads/repo.js';
import { readyIssues } from '../../src/beads/ready.js';
import type { ControllerContext, DesiredWorld, ObserveContext } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import { headMovedAt, verifyFacts } from '../../src/workers/clone.js';
import { AGENT_FILES, poolSessionOf } from '../../src/workers/polecat.js';
import { listDir, lstatIfExists, statIfExists } from '../../src/util/fs-read.js';
import { readAgentState } from '../../src/agents/state.js';
import { hookPlugins, hookQuestions, verdictsIn, type HookQuestion } from '../../src/plugins/hooks.js';
import { unsafeToDelete } from '../../src/policy/clone-safety.js';
import type { CloneFacts, PoolObserved, SessionView } from './observed.js';
import { observeAgentCommand, someCloneDir } from './agent-command.js';
import { observedNow } from '../../src/util/clock.js';
import { SCREEN_SCROLLBACK, screenWanted } from './agent-screen.js';
import { memoryPerWorkerMiB, memoryReserveMiB, observeMemAvailableMiB } from './capacity.js';
import { unappliedTown } from '../../src/manifest/validate.js';
import { poolSettings } from './plan.js';
import { gtShimExists, remoteHead } from '../common/shared-facts.js';
import { resolveAgent } from '../../src/agents/presets.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import { mergeQueueStore } from '../../src/refinery/requests.js';
import { readIfListed } from '../../src/engine/observation-pass.js';

const UNTRACKED: Omit<PoolObserved, 'now'> = {
  issues: [],
  ready: [],
  records: [],
  signals: {},
  sessions: [],
  clones: {},
  polecatDirs: [],
  reusableDirs: [],
  swarmOf: {},
  swarmLimits: {},
  pool: { spawnFailures: 0 },
  handoffs: {},
  stuckPlugins: [],
  stuckVerdicts: {},
  stuckAsked: {},
  contractReady: false,
  remoteHead: undefined,
  refineryCloned: false,
};

export async function observePool(ctx: ObserveContext, rig: Rig, world: DesiredWorld): Promise<PoolObserved> {
  const town: Town | undefined = world.town?.manifest;
  const name = rig.metadata.name;
  const opened = await ctx.services.tracker(rig, town).catch((err: unknown) => {
    if (err instanceof BdNotOnPath || err instanceof BeadsCloneMissing) return err;
    throw err;
  });
  // Without its tracker the pool neither dispatches nor finishes anything: the plan says why.
  if (opened instanceof BdNotOnPath) return { ...UNTRACKED, now: observedNow(), trackerUnavailable: { code: opened.code, message: opened.message } };
  // Issues kept in the repository are read through the refinery clone, which the rig controller makes.
  if (opened instanceof BeadsCloneMissing) return { ...UNTRACKED, now: observedNow(), trackerUnavailable: { code: opened.code, message: opened.message, waiting: true } };
  const tracker = opened;
  const queue = mergeQueueStore(ctx.root);
  // In a planning pass, one listing of the merge queue answers for every rig without one (as for the merge-queue controller).
  const queued = async <T>(read: () => Promise<T>, absent: T) => (await readIfListed(ctx.pass, queue.rigDir(name), read)) ?? absent;
  const [issues, { records, signals }, pool, sessions, requests, current] = await Promise.all([
    tracker.list(),
    ctx.services.workers.listWithSignals(name),
    ctx.services.workers.pool(name),
    ctx.services.sessions(town),
    queued(() => queue.list(name), []),
    queued(() => queue.current(name), undefined),
  ]);
  const queuedIssues = [...requests.map((r) => r.issueId), ...(current ? [current.issueId] : [])];
  const stuckPlugins = hookPlugins(world, name, 'onWorkerStuck');
  const stuckVerdicts = stuckPlugins.length ? verdictsIn(await ctx.services.mailbox(`${name}/witness`).list()) : {};
  const stuckAsked: Record<string, HookQuestion[]> = {};
  for (const p of stuckPlugins) stuckAsked[p.name] = hookQuestions(await ctx.services.mailbox(p.address).list(), `${name}/witness`, 'onWorkerStuck');
  const polecatDirs = await listDir(path.join(ctx.root, name, 'polecats'));
  const contractReady = await gtShimExists(ctx);
  const now = observedNow();
  const mine: SessionView[] = sessions.flatMap((s) => {
    const own = poolSessionOf(s, name);
    return own
      ? [
          {
            name: s.name,
            alive: !s.dead,
            polecat: own.polecat,
            activityAt: s.activity.getTime(),
            ...(s.dead && s.exitStatus !== undefined ? { exitStatus: s.exitStatus } : {}),
            ...(s.meta.agent_fp ? { agent: s.meta.agent_fp } : {}),
          },
        ]
      : [];
  });
  await readScreens(ctx, rig, town, records, mine, now);
  const byId = new Map(issues.map((i) => [i.id, i]));
  const cloneDir = (polecat: string) => path.join(ctx.root, name, 'polecats', polecat);
  const clones: Record<string, CloneFacts> = {};
  const handoffs: Record<string, string> = {};
  await Promise.all(
    records.map(async (r) => {
      const dir = cloneDir(r.name);
      const status = byId.get(r.issueId)?.status;
      const finishing = signals[r.name] !== undefined || status === 'closed' || status === 'blocked' || r.state === 'crashLooping';
      const moved = await headMovedAt(dir);
      const state = await readAgentState(dir);
      if (state.requesting_cycle && state.handoff) handoffs[r.name] = state.handoff.messageId;
      const verify = finishing ? await verifyFacts(dir, r.branch, r.baseSha) : undefined;
      clones[r.name] = { exists: moved !== undefined, ...(moved !== undefined ? { headMovedAt: moved } : {}), ...(verify ? { verify } : {}) };
    }),
  );
  const known = new Set(records.map((r) => r.name));
  await Promise.all(
    mine
      .filter((s) => s.polecat && !known.has(s.polecat))
      .map(async (s) => {
        const why = unsafeToDelete(await inspectClone(cloneDir(s.polecat!), { work: true }));
        clones[s.polecat!] = { exists: true, ...(why ? { unsafe: why } : {}) };
      }),
  );
  const dirs = polecatDirs.filter((d) => !d.startsWith('.'));
  // Only directories no worker owns can be reused; a working polecat's clone is never read here.
  const unowned = dirs.filter((d) => !known.has(d));
  const reusable = await Promise.all(unowned.map(async (d) => (await statIfExists(cloneDir(d)))?.isDirectory() === true && (await listDir(cloneDir(d))).every((e) => AGENT_FILES.has(e))));
  const reusableDirs = unowned.filter((_, i) => reusable[i]);
  const swarmOf: Record<string, string> = {};
  for (const i of issues) {
    const m = /^gt-swarm:([^/]+)\/./.exec(i.external_ref ?? '');
    if (m) swarmOf[i.id] = m[1]!;
  }
  const swarmLimits: Record<string, number | 'suspended'> = {};
  for (const o of world.objects) {
    if (o.manifest.kind !== 'Swarm' || o.manifest.spec.rig !== name) continue;
    const spec = o.manifest.spec;
    if (spec.suspend || o.deletionRequestedAt) swarmLimits[o.manifest.metadata.name] = 'suspended';
    else if (spec.maxParallel !== undefined) swarmLimits[o.manifest.metadata.name] = spec.maxParallel;
  }
  // A deleted swarm's tasks left open (work had been done on them) are not dispatched again either.
  const stored = new Set(world.objects.filter((o) => o.manifest.kind === 'Swarm').map((o) => o.manifest.metadata.name));
  for (const sw of Object.values(swarmOf)) if (!stored.has(sw)) swarmLimits[sw] = 'suspended';
  // The bd backend asks bd itself (bd ready), so the set is bd's own even where bd list omits fields the rules read.
  const ready = tracker.backend === 'bd' ? await tracker.ready() : readyIssues(issues, new Date(now));
  const memAvailableMiB = memoryPerWorkerMiB(rig, town) !== undefined && ready.length > 0 ? await observeMemAvailableMiB() : undefined;
  const agentCommand = contractReady
    ? observeAgentCommand(
        ctx.root,
        rig,
        town,
        someCloneDir(
          ctx.root,
          name,
          records.map((r) => r.name),
        ),
      )
    : undefined;
  return {
    now,
    issues,
    ready,
    records,
    signals,
    sessions: mine,
    clones,
    polecatDirs: dirs,
    partialClones: dirs.filter((d) => d.includes(PARTIAL_MARK)),
    reusableDirs,
    swarmOf,
    swarmLimits,
    pool,
    handoffs,
    stuckPlugins,
    stuckVerdicts,
    stuckAsked,
    contractReady,
    queuedIssues,
    remoteHead: await remoteHead(ctx, name),
    refineryCloned: (await lstatIfExists(path.join(ctx.root, name, 'refinery', 'rig', '.git'))) !== undefined,
    ...(agentCommand ? { agentCommand } : {}),
    ...(memAvailableMiB !== undefined ? { memAvailableMiB, memReserveMiB: memoryReserveMiB(town ?? unappliedTown(ctx.root)) } : {}),
  };
}

/** The screens of the sessions the plan asks to see (screenWanted), with a preset to read them by. */
async function readScreens(ctx: ControllerContext, rig: Rig, town: Town | undefined, records: WorkerRecord[], sessions: SessionView[], now: number): Promise<void> {
  if (!resolveAgent([town?.spec.agent, rig.spec.agent], '').preset) return;
  const stuckAfterMs = poolSettings(rig).stuckAfterMs;
  const tmux = ctx.services.runtime(town);
  await Promise.all(
    records.map(async (r) => {
      const s = sessions.find((x) => x.polecat === r.name);
      if (!s || !screenWanted(r, s, now, stuckAfterMs)) return;
      // A session gone since it was listed has no screen: the next pass sees it gone.
      // With scrollback: what a dead pane printed last can sit above its visible part.
      s.screen = await tmux.capturePane(s.name, { lines: SCREEN_SCROLLBACK }).catch(() => undefined);
      if (s.screen === undefined) delete s.screen;
    }),
  );
}
