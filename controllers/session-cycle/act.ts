import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { handoffPreamble } from '../../src/agents/roles.js';
import { writeHandoff } from '../../src/agents/handoff.js';
import { readAgentState, updateAgentState } from '../../src/agents/state.js';
import type { ControllerContext, DesiredWorld } from '../../src/engine/controller.js';
import { sendEscalation } from '../../src/town/escalate.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { failpoint } from '../../src/util/failpoint.js';
import type { SessionAction } from './actions.js';
import type { DesiredSession } from './desired.js';
import { sessionStore } from './observe.js';

export async function actSessions(ctx: ControllerContext, world: DesiredWorld, desired: DesiredSession[], generation: number, a: SessionAction): Promise<string | void> {
  if (a.type === 'finalizePlugin') {
    if (!(await ctx.store.finalize('Plugin', a.name))) return 'kept: applied again while it was being removed';
    return;
  }
  const d = desired.find((x) => x.name === a.session);
  if (!d) throw new Error(`session ${a.session} is no longer in the spec (changed since the plan)`);
  const town = world.town?.manifest;
  const tmux = ctx.services.runtime(town);
  const store = sessionStore(ctx.root);
  const now = () => new Date().toISOString();
  const typing = { enter: true, enterDelayMs: d.launch.preset?.enterDelayMs ?? 0 };
  ctx.services.forgetSessions();

  switch (a.type) {
    case 'startSession':
      await start(ctx, world, d, a.reason === 'crashed');
      return;
    case 'reportAgentCondition':
      await sendEscalation(ctx.services, town, {
        from: d.address,
        subject: `Session ${d.name}: ${a.code}`,
        body: `${a.message}\nSession: ${tmux.commandLine} attach -t ${d.name}`,
        priority: 'high',
      });
      await store.update(d.name, (r) => ({ ...r, agentCondition: { code: a.code, at: now(), fingerprint: d.launch.fingerprint } }));
      return;
    case 'clearAgentCondition':
      await store.update(d.name, ({ agentCondition: _cleared, ...rest }) => rest);
      return;
    case 'cycleSession': {
      // The intent first: if gt dies right after the kill, the next pass starts the session
      // again instead of counting a crash.
      await store.update(d.name, (r) => ({ ...r, ending: { reason: a.reason, at: now() } }));
      await tmux.killSession(d.name);
      await start(ctx, world, d, false);
      return;
    }
    case 'requestHandoff':
      await tmux.sendKeys(d.name, `gt is stopping this session (${a.why}). Finish your current step, then run: gt handoff -m "what the next session needs to know"`, typing);
      await store.update(d.name, (r) => ({ ...r, stopRequestedAt: now() }));
      return;
    case 'endSession': {
      if (a.writeHandoff) await writeHandoff(d, 'gt', `gt stopped this session (${a.why}) before the agent handed off. Check the state of your work (gt mail inbox, gt status) before going on.`);
      await store.update(d.name, (r) => ({ ...r, ending: { reason: 'stop', at: now() } }));
      await tmux.killSession(d.name);
      await store.update(d.name, (r) => {
        const { ending: _ending, ...rest } = r;
        return { ...rest, stoppedAt: now() };
      });
      return;
    }
    case 'clearStop':
      await store.update(d.name, (r) => {
        const { stopRequestedAt: _asked, stoppedAt: _stopped, ...rest } = r;
        return rest;
      });
      return;
    case 'notifyMail':
      await tmux.sendKeys(d.name, `You have ${a.unread} unread message${a.unread === 1 ? '' : 's'}: run gt mail inbox`, typing);
      await store.update(d.name, (r) => ({ ...r, notifiedMailId: a.newest }));
      return;
    case 'escalateCrashLoop': {
      await store.update(d.name, (r) => ({ ...r, crashes: [...r.crashes, now()], crashLoop: { at: now(), generation, fingerprint: d.launch.fingerprint } }));
      // A crash-looping mayor reads nothing: with no running reader the Overseer gets it too.
      await sendEscalation(ctx.services, town, {
        from: 'gt',
        subject: `Session ${d.name} is crash-looping`,
        body: `${d.address}'s session died ${a.crashes} times without staying up 10 minutes; gt left it stopped. Check its agent command, then change the spec or run gt stop and gt start.`,
        priority: 'urgent',
      });
      return;
    }
  }
}

/**
 * Starts the session fresh: instructions written (the agent's CLAUDE.md, AGENTS.md... and the prompt file, which begins
 * with the handoff to read when the agent asked to cycle), the tmux session with the contract's
 * environment and its fingerprint, then the record, then the cycle request cleared.
 */
async function start(ctx: ControllerContext, world: DesiredWorld, d: DesiredSession, crashed: boolean): Promise<void> {
  const tmux = ctx.services.runtime(world.town?.manifest);
  const state = await readAgentState(d.home);
  const handoff = state.requesting_cycle && state.handoff ? handoffPreamble(state.handoff.messageId) : '';
  await mkdir(d.home, { recursive: true });
  await writeFileAtomic(path.join(d.home, d.launch.preset?.instructionsFile ?? 'CLAUDE.md'), d.instructions);
  await writeFileAtomic(d.promptFile, handoff + d.instructions);
  await tmux.killSession(d.name);
  await tmux.startSession({ name: d.name, cwd: d.home, env: d.launch.env, argv: d.launch.argv, meta: { role: d.role, rig: d.rig, agent: d.address, fingerprint: d.launch.fingerprint } });
  failpoint('sessions:after-session-start');
  const at = new Date().toISOString();
  await sessionStore(ctx.root).update(d.name, (r) => {
    const { ending: _ending, stoppedAt: _stopped, stopRequestedAt: _asked, ...rest } = r;
    return { ...rest, starts: [...r.starts, at], crashes: crashed ? [...r.crashes, at] : r.crashes, fingerprint: d.launch.fingerprint };
  });
  if (state.requesting_cycle) await updateAgentState(d.home, (s) => ({ ...s, requesting_cycle: false }));
}
