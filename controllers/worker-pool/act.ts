import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { agentLaunch, gtPath, polecatInstructions } from '../../src/agents/contract.js';
import { instructionsFile, resolveAgent } from '../../src/agents/presets.js';
import { handoffPreamble } from '../../src/agents/roles.js';
import { updateAgentState } from '../../src/agents/state.js';
import { inspectClone, PARTIAL_MARK, TRANSFER_TIMEOUT_MS } from '../../src/adapters/git.js';
import type { ControllerContext, Target } from '../../src/engine/controller.js';
import { polecatAddress } from '../../src/mail/address.js';
import type { Rig } from '../../src/model/objects.js';
import { sendEscalation } from '../../src/town/escalate.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { mergeQueueStore } from '../../src/refinery/requests.js';
import { agentFingerprint } from '../../src/workers/breaker.js';
import { CloneHoldsOtherWork, preparePolecatClone } from '../../src/workers/clone.js';
import { sessionName } from '../../src/workers/polecat.js';
import { observedRemoteHead, rigDefaultBranch } from '../../src/town/default-branch.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import { unsafeToDelete } from '../../src/policy/clone-safety.js';
import { failpoint } from '../../src/util/failpoint.js';
import type { WorkerAction } from './actions.js';
import { promptFile } from '../../src/town/layout.js';

export async function actPool(ctx: ControllerContext, t: Target<Rig>, a: WorkerAction): Promise<string | void> {
  const rig = t.object.manifest;
  const name = rig.metadata.name;
  const town = t.world.town?.manifest;
  const workers = ctx.services.workers;
  const tmux = ctx.services.runtime(town);
  const record = async (polecat: string): Promise<WorkerRecord> => {
    const r = (await workers.list(name)).find((x) => x.name === polecat);
    if (!r) throw new Error(`polecat ${polecat} has no record (changed since the plan)`);
    return r;
  };
  const cloneDir = (polecat: string) => path.join(ctx.root, name, 'polecats', polecat);
  const typing = { enter: true, enterDelayMs: resolveAgent([town?.spec.agent, rig.spec.agent], '').preset?.enterDelayMs ?? 0 };
  ctx.services.forgetSessions();

  switch (a.type) {
    case 'spawnWorker':
      await spawn(ctx, t, a);
      return;
    case 'restartSession': {
      const r = await record(a.name);
      await tmux.killSession(sessionName(name, a.name));
      await startSession(ctx, t, r);
      if (a.retry) {
        await workers.put({ ...r, ...(r.agentCondition ? { agentCondition: { ...r.agentCondition, retriedAt: new Date().toISOString() } } : {}) });
        return;
      }
      // A halt is not a crash: it does not count towards the crash-loop limit.
      const { haltedAt, ...rest } = r;
      await workers.put(haltedAt ? rest : { ...rest, starts: [...r.starts, new Date().toISOString()] });
      if (a.earlyDeath) await workers.updatePool(name, (pool) => ({ ...pool, spawnFailures: pool.spawnFailures + 1 }));
      return;
    }
    case 'cycleWorker': {
      const r = await record(a.name);
      const tracker = await ctx.services.tracker(rig, town);
      const issue = await tracker.get(r.issueId);
      const instructions = polecatInstructions(name, r.name, r.branch, { id: r.issueId, title: issue?.title ?? r.issueId, description: issue?.description ?? '' });
      await writeFileAtomic(promptFile(ctx.root, name, r.name), handoffPreamble(a.handoff) + instructions);
      await tmux.killSession(sessionName(name, r.name));
      await startSession(ctx, t, r);
      // Not counted in starts: a handoff is not a crash, and starts feed the crash-loop count.
      await workers.put({ ...r, nudges: 0 });
      await updateAgentState(cloneDir(r.name), (s) => ({ ...s, requesting_cycle: false }));
      return;
    }
    case 'askStuckPlugin': {
      const r = await record(a.name);
      const msg = await ctx.services.mailbox(a.address).send({
        from: `${name}/witness`,
        to: a.address,
        subject: `onWorkerStuck ${r.issueId}: polecat ${a.name}`,
        body: `Polecat ${name}/${a.name} on ${r.issueId} has shown no output and no commits for ${a.quietMinutes || '<1'} min (nudged ${r.nudges} times so far).\nAnswer with: gt mail send ${name}/witness -s verdict --type reply --reply-to ID -m proceed   (gt nudges it)\nor -m escalate (a person takes over), where ID is this message's id.`,
        type: 'task',
      });
      await workers.put({ ...r, stuckAsk: { plugin: a.plugin, messageId: msg.id, at: msg.timestamp } });
      return;
    }
    case 'nudge': {
      const r = await record(a.name);
      await tmux.sendKeys(sessionName(name, a.name), a.message, typing);
      const { stuckAsk: _asked, ...rest } = r;
      await workers.put({ ...rest, nudges: a.count, lastNudgeAt: new Date().toISOString() });
      return;
    }
    case 'escalate': {
      const r = await record(a.name);
      await sendEscalation(ctx.services, town, {
        from: `${name}/witness`,
        subject: `Polecat ${name}/${a.name} on ${r.issueId} needs a person`,
        body: `${a.reason}.\nIts issue stays claimed and its clone (${cloneDir(a.name)}) is kept.\nSession: ${tmux.commandLine} attach -t ${sessionName(name, a.name)}`,
        priority: 'high',
      });
      await workers.put({
        ...r,
        state: a.state,
        escalatedAt: new Date().toISOString(),
        ...(a.state === 'crashLooping' ? { crashLoop: { generation: t.object.generation, agent: agentFingerprint(town, rig) } } : {}),
      });
      return;
    }
    case 'reportAgentCondition': {
      const r = await record(a.name);
      await sendEscalation(ctx.services, town, {
        from: `${name}/witness`,
        subject: `Polecat ${name}/${a.name}: ${a.code}`,
        body: `${a.message}\nIts issue ${r.issueId} stays claimed and its clone (${cloneDir(a.name)}) is kept.\nSession: ${tmux.commandLine} attach -t ${sessionName(name, a.name)}`,
        priority: 'high',
      });
      await workers.put({ ...r, agentCondition: { code: a.code, at: new Date().toISOString(), agent: a.agent } });
      return;
    }
    case 'clearAgentCondition': {
      const { agentCondition: _cleared, ...rest } = await record(a.name);
      await workers.put(rest);
      return;
    }
    case 'rejectDone': {
      const r = await record(a.name);
      const text = `Your work on ${r.issueId} is not ready to hand on: ${a.problems.join('; ')}. Fix that, then run gt done again. Nothing was thrown away.`;
      await ctx.services
        .mailbox(polecatAddress(name, a.name))
        .send({ from: `${name}/witness`, to: polecatAddress(name, a.name), subject: `Not done yet: ${r.issueId}`, body: text, type: 'task', priority: 'high' });
      if (await tmux.hasSession(sessionName(name, a.name))) await tmux.sendKeys(sessionName(name, a.name), text, typing);
      await workers.clearDone(name, a.name);
      await workers.put({ ...r, rejectedDone: r.rejectedDone + 1 });
      return;
    }
    case 'markReadyToMerge': {
      const r = await record(a.name);
      await mergeQueueStore(ctx.root).put(name, {
        issueId: a.issueId,
        branch: a.branch,
        head: a.head,
        polecat: a.name,
        readyAt: new Date().toISOString(),
        ...(r.baseSha ? { baseSha: r.baseSha } : {}),
        ...(rig.spec.mergeQueue.land === 'direct' ? { direct: true } : {}),
      });
      failpoint('workers:after-merge-request');
      const tracker = await ctx.services.tracker(rig, town);
      await tracker.addComment(a.issueId, `${name}/witness`, `Verified: ${a.branch} at ${a.head} is clean and pushed; ready to merge.`);
      return;
    }
    case 'returnIssue': {
      const tracker = await ctx.services.tracker(rig, town);
      await tracker.addComment(a.issueId, polecatAddress(name, a.name), `${a.status}: ${a.message || '(no reason given)'}`);
      await tracker.update(a.issueId, { status: a.status === 'deferred' ? 'open' : 'blocked', assignee: null });
      if (a.status === 'escalated') {
        await sendEscalation(ctx.services, town, { from: polecatAddress(name, a.name), subject: `Escalated: ${a.issueId}`, body: a.message, priority: 'high' });
      }
      return;
    }
    case 'releaseIssue': {
      const tracker = await ctx.services.tracker(rig, town);
      const issue = await tracker.get(a.issueId);
      // Never closed: back to ready for whoever is next (the same agent, once fixed).
      if (issue && issue.status !== 'closed') {
        await tracker.addComment(a.issueId, `${name}/witness`, `Released from crash-looping polecat ${a.name} (${a.why}); ready again. Its clone ${cloneDir(a.name)} is kept if it holds work.`);
        await tracker.update(a.issueId, { status: 'open', assignee: null });
      }
      return;
    }
    case 'removePartialClone': {
      if (!a.dir.includes(PARTIAL_MARK) || a.dir.includes('/')) throw new Error(`not a partial clone: polecats/${a.dir}`);
      await rm(path.join(ctx.root, name, 'polecats', a.dir), { recursive: true, force: true });
      return;
    }
    case 'releaseLostClaim': {
      // Looked at again: a spawn or the refinery may have taken it up since the plan.
      const tracker = await ctx.services.tracker(rig, town);
      const issue = await tracker.get(a.issueId);
      const holder = polecatAddress(name, a.polecat);
      const queue = mergeQueueStore(ctx.root);
      const queued = (await queue.list(name)).some((r) => r.issueId === a.issueId) || (await queue.current(name))?.issueId === a.issueId;
      if (issue?.status !== 'in_progress' || issue.assignee !== holder || queued || (await workers.list(name)).some((r) => r.name === a.polecat)) return 'taken up meanwhile: left as it is';
      await tracker.addComment(
        a.issueId,
        `${name}/witness`,
        `Released: polecat ${a.polecat} claimed it but has no worker record (lost to a crash) and no merge request; ready again, for ${a.polecat} first (its clone, if any, is kept).`,
      );
      // The assignee stays: dispatch gives it back to this polecat, whose clone may hold its work.
      await tracker.update(a.issueId, { status: 'open' });
      return;
    }
    case 'stopSession':
      await tmux.killSession(a.session);
      failpoint('workers:after-session-stop');
      return;
    case 'releaseWorker': {
      const r = await record(a.name); // A worker released meanwhile (by another pass) is an error, not a no-op.
      if (a.removeClone) {
        // Checked again right before deleting: the agent may have committed since the plan.
        const state = await inspectClone(cloneDir(a.name), { work: true });
        // What is no longer a clone after a release began is that clone, deleted in part by a crash.
        const why = r.releasingAt && state.state === 'notRepo' ? undefined : unsafeToDelete(state);
        if (why) throw new Error(`not removing ${cloneDir(a.name)}: it ${why}`);
        // The intent first: a crash after the delete must finish the release, not restart an agent where its clone was.
        if (!r.releasingAt) await workers.put({ ...r, releasingAt: new Date().toISOString() });
        await rm(cloneDir(a.name), { recursive: true, force: true });
        failpoint('workers:after-clone-delete');
      }
      await rm(promptFile(ctx.root, name, a.name), { force: true });
      await workers.remove(name, a.name);
      return;
    }
    case 'stopOrphan': {
      if (a.clone) {
        const why = unsafeToDelete(await inspectClone(path.join(ctx.root, a.clone), { work: true }));
        if (why) throw new Error(`not stopping ${a.session}: its clone ${a.clone} ${why}`);
      }
      await tmux.killSession(a.session);
      return;
    }
    case 'tripBreaker': {
      await workers.updatePool(name, (pool) => ({ ...pool, breaker: { reason: a.reason, openedAt: new Date().toISOString(), generation: t.object.generation, agent: a.agent } }));
      await sendEscalation(ctx.services, town, {
        from: `${name}/witness`,
        subject: `Rig ${name}: dispatch stopped (circuit breaker)`,
        body: `${a.reason}. No new polecats start until the Rig spec or the Town's agent changes, or gt reset-breaker ${name}.`,
        priority: 'urgent',
      });
      return;
    }
    case 'resetSpawnFailures': {
      await workers.updatePool(name, (pool) => {
        const { breaker: _rearmed, ...rest } = pool;
        return { ...(a.rearmed ? rest : pool), spawnFailures: 0 };
      });
      return;
    }
  }
}

async function spawn(ctx: ControllerContext, t: Target<Rig>, a: Extract<WorkerAction, { type: 'spawnWorker' }>): Promise<void> {
  const rig = t.object.manifest;
  const name = rig.metadata.name;
  const town = t.world.town?.manifest;
  const workers = ctx.services.workers;
  const now = new Date().toISOString();
  // The record is the intent: written before anything else, so a crash at any later point resumes here.
  let r = (await workers.list(name)).find((x) => x.name === a.name);
  const resuming = r !== undefined;
  if (!r) {
    r = { name: a.name, rig: name, issueId: a.issueId, branch: a.branch, state: 'starting', createdAt: now, starts: [], nudges: 0, rejectedDone: 0 };
    await workers.put(r);
    await workers.updatePool(name, (pool) => ({ ...pool, lastSpawnAt: now }));
    failpoint('workers:after-record');
  }
  const tracker = await ctx.services.tracker(rig, town);
  const before = await tracker.get(r.issueId);
  try {
    await tracker.claim(r.issueId, polecatAddress(name, r.name));
  } catch (err) {
    await workers.remove(name, r.name);
    throw err;
  }
  failpoint('workers:after-claim');
  const issue = await tracker.get(r.issueId);
  const instructions = polecatInstructions(name, r.name, r.branch, { id: r.issueId, title: issue?.title ?? a.title, description: issue?.description ?? '' });
  const dir = path.join(ctx.root, name, 'polecats', r.name);
  ctx.activity?.(`clone ${rig.spec.gitUrl} into ${path.relative(ctx.root, dir)}`, TRANSFER_TIMEOUT_MS);
  try {
    r.baseSha = await preparePolecatClone({
      url: rig.spec.gitUrl,
      base: a.base,
      dir,
      branch: r.branch,
      instructions,
      instructionsFile: instructionsFile([town?.spec.agent, rig.spec.agent], dir),
      author: `${r.name} (${name} polecat)`,
      ...(ctx.progress ? { onProgress: (line: string) => ctx.progress!(path.relative(ctx.root, dir), line) } : {}),
    });
  } catch (err) {
    // A clone holding another branch's work stays as it is: the issue goes to a polecat of its own.
    const keep = before?.status === 'in_progress' || err instanceof CloneHoldsOtherWork ? undefined : before?.assignee;
    await abandonSpawn(ctx, t, r, keep, err);
    throw err;
  }
  failpoint('workers:after-clone');
  if ((await workers.pool(name)).cloneFailures) {
    await workers.updatePool(name, (pool) => {
      const { cloneFailures: _over, ...rest } = pool;
      return rest;
    });
  }
  const prompt = promptFile(ctx.root, name, r.name);
  await mkdir(path.dirname(prompt), { recursive: true });
  await writeFileAtomic(prompt, instructions);
  // Only a resumed spawn can have left a session behind; a fresh one's name had none (the plan saw).
  if (resuming) await ctx.services.runtime(town).killSession(sessionName(name, r.name));
  await startSession(ctx, t, r);
  failpoint('workers:after-session-start');
  // Read again: the clone may have taken minutes, and the record may have changed meanwhile (gt stop --now).
  const baseSha = r.baseSha;
  await workers.update(name, r.name, (now) => ({ ...now, ...(baseSha ? { baseSha } : {}), state: 'working', starts: [...now.starts, new Date().toISOString()] }));
}

/**
 * A spawn whose clone could not be made leaves nothing half-made: its issue goes back to the
 * ready queue (open; assigned again only to a polecat of this rig it was sent back to), its worker
 * record goes, and the failure is counted for the plan's backoff. A clone that exists is never
 * touched (it may hold work). Each step is safe to repeat: a crash between them at worst tries
 * the clone once more at once.
 */
async function abandonSpawn(ctx: ControllerContext, t: Target<Rig>, r: WorkerRecord, previousAssignee: string | undefined, err: unknown): Promise<void> {
  const rig = t.object.manifest;
  const name = rig.metadata.name;
  const workers = ctx.services.workers;
  const error = err instanceof Error ? err.message : String(err);
  const tracker = await ctx.services.tracker(rig, t.world.town?.manifest);
  const issue = await tracker.get(r.issueId);
  const pool = await workers.pool(name);
  if (issue && issue.status === 'in_progress' && issue.assignee === polecatAddress(name, r.name)) {
    // Said once per issue, not at every attempt of a remote that stays down.
    if (pool.cloneFailures?.issueId !== r.issueId)
      await tracker.addComment(r.issueId, `${name}/witness`, `Released: polecat ${r.name}'s clone could not be made (${error}); ready again, gt retries with backoff.`);
    await tracker.update(r.issueId, { status: 'open', assignee: previousAssignee?.startsWith(`${name}/polecats/`) ? previousAssignee : null });
  }
  await rm(promptFile(ctx.root, name, r.name), { force: true });
  await workers.remove(name, r.name);
  await workers.updatePool(name, (now) => ({
    ...now,
    cloneFailures: { attempts: (now.cloneFailures?.attempts ?? 0) + 1, lastAt: new Date().toISOString(), error, issueId: r.issueId, polecat: r.name },
  }));
}

async function startSession(ctx: ControllerContext, t: Target<Rig>, r: WorkerRecord): Promise<void> {
  const rig = t.object.manifest;
  const name = rig.metadata.name;
  const town = t.world.town?.manifest;
  const dir = path.join(ctx.root, name, 'polecats', r.name);
  const prompt = promptFile(ctx.root, name, r.name);
  const baseBranch = rig.spec.mergeQueue.target ?? rigDefaultBranch(rig, await observedRemoteHead(ctx.root, name));
  if (!baseBranch) throw new Error(`rig ${name}'s default branch is not known: its refinery clone records no origin/HEAD (set the Rig's defaultBranch)`);
  const launch = agentLaunch({
    root: ctx.root,
    inheritedPath: gtPath(),
    rig: name,
    role: 'polecat',
    address: polecatAddress(name, r.name),
    cwd: dir,
    promptFile: prompt,
    instructions: r.issueId,
    issue: r.issueId,
    branch: r.branch,
    baseBranch,
    agents: [town?.spec.agent, rig.spec.agent],
    beadsLocation: rig.spec.beads.location,
  });
  await ctx.services.runtime(town).startSession({
    name: sessionName(name, r.name),
    cwd: dir,
    env: launch.env,
    argv: launch.argv,
    meta: { role: 'polecat', rig: name, polecat: r.name, issue: r.issueId, agent: polecatAddress(name, r.name), fingerprint: launch.fingerprint, agent_fp: agentFingerprint(town, rig) },
  });
}
