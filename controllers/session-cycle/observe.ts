import path from 'node:path';
import { checkCommand, type CommandCheck } from '../../src/agents/command.js';
import { readAgentState, type AgentState } from '../../src/agents/state.js';
import type { DesiredWorld, ObserveContext } from '../../src/engine/controller.js';
import { readIfListed } from '../../src/engine/observation-pass.js';
import { Mailbox } from '../../src/mail/mailbox.js';
import { SessionStore, type SessionRecord } from '../../src/sessions/records.js';
import type { DesiredSession, SessionHost } from './desired.js';
import { townPaths } from '../../src/town/layout.js';
import { observedNow } from '../../src/util/clock.js';
import { SCREEN_CHECKS_MS, SCREEN_SCROLLBACK } from '../../src/agents/screens.js';
import { gtShimExists } from '../common/shared-facts.js';

export interface SessionFacts {
  tmux?: { alive: boolean; activityAt: number; fingerprint?: string; exitStatus?: number };
  /** Whether the agent's program can be started (checked only when no live session runs it). */
  command?: CommandCheck;
  record?: SessionRecord;
  state: AgentState;
  unread: { count: number; newest?: string };
  /** The pane's text, read only when screenWanted says so (a preset's agent starting, dead, or showing a condition). */
  screen?: string;
}

export interface SessionsObserved {
  /** The town root: the desired sessions' paths and environment depend on it. */
  root: string;
  /** gt's own PATH, which sessions inherit (`gtPath`): their environment depends on it. */
  inheritedPath: string;
  now: number;
  /** The town's gt shim exists (agents call gt through it): the town controller renders it, maybe in the same pass. */
  contractReady: boolean;
  sessions: Record<string, SessionFacts>;
}

/** Whether to read a session's screen now: only for a preset's agent, a few times after it starts, when its pane is dead, or while it shows a condition. */
function screenWanted(d: DesiredSession, dead: boolean, record: SessionRecord | undefined, now: number): boolean {
  if (!d.launch.preset) return false;
  if (dead || record?.agentCondition) return true;
  const last = record?.starts[record.starts.length - 1];
  return last !== undefined && now - Date.parse(last) <= SCREEN_CHECKS_MS[SCREEN_CHECKS_MS.length - 1]! + 1000;
}

export function sessionStore(root: string): SessionStore {
  return new SessionStore(townPaths(root).sessionsDir);
}

export async function observeSessions(ctx: ObserveContext, world: DesiredWorld, host: SessionHost, desired: DesiredSession[]): Promise<SessionsObserved> {
  const store = sessionStore(ctx.root);
  const records = await Promise.all(desired.map((d) => readIfListed(ctx.pass, store.file(d.name), () => store.get(d.name))));
  // Nothing wanted and nothing started: no tmux call (the idle loop pays for every one).
  if (desired.every((d, i) => !d.enabled && !records[i]))
    return {
      root: host.root,
      inheritedPath: host.inheritedPath,
      now: observedNow(),
      contractReady: false,
      sessions: Object.fromEntries(desired.map((d) => [d.name, { state: {}, unread: { count: 0 } }])),
    };
  const listed = await ctx.services.sessions(world.town?.manifest);
  const contractReady = await gtShimExists(ctx);
  const sessions: Record<string, SessionFacts> = {};
  for (const [i, d] of desired.entries()) {
    const s = listed.find((x) => x.name === d.name);
    const record = records[i];
    // Mail matters only to a running agent (it is told about new messages).
    const unread = s && !s.dead ? (await new Mailbox(path.join(d.home, 'mail', 'inbox.jsonl')).list()).filter((m) => !m.read) : [];
    const screen =
      s && screenWanted(d, s.dead, record, observedNow())
        ? await ctx.services
            .runtime(world.town?.manifest)
            .capturePane(d.name, { lines: SCREEN_SCROLLBACK })
            .catch(() => undefined)
        : undefined;
    sessions[d.name] = {
      ...(screen !== undefined ? { screen } : {}),
      ...(s
        ? {
            tmux: {
              alive: !s.dead,
              activityAt: s.activity.getTime(),
              ...(s.meta.fingerprint ? { fingerprint: s.meta.fingerprint } : {}),
              ...(s.dead && s.exitStatus !== undefined ? { exitStatus: s.exitStatus } : {}),
            },
          }
        : {}),
      // Checked once the town's gt shim exists: it is on the same PATH, and agents may be `gt ...`.
      ...(contractReady && d.enabled && !(s && !s.dead) ? { command: checkCommand(d.launch.argv[0]!, d.launch.env.PATH ?? '', d.home) } : {}),
      ...(record ? { record } : {}),
      state: await readAgentState(d.home),
      unread: { count: unread.length, ...(unread.length ? { newest: unread[unread.length - 1]!.id } : {}) },
    };
  }
  return { root: host.root, inheritedPath: host.inheritedPath, now: observedNow(), contractReady, sessions };
}
