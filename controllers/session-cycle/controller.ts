import type { Controller, Target } from '../../src/engine/controller.js';
import type { Plugin, Rig, Town } from '../../src/model/objects.js';
import { actSessions } from './act.js';
import { describeSessionAction, sessionActionIsIrreversible, type SessionAction } from './actions.js';
import { gtPath } from '../../src/agents/contract.js';
import { mayorSession, pluginSession, rigSessions, type DesiredSession, type SessionHost } from './desired.js';
import { observeSessions, type SessionsObserved } from './observe.js';
import { planSessions } from './plan.js';

/**
 * The session-cycle controller (DESIGN.md §4): keeps long-running agent sessions (the Mayor,
 * a rig's Witness and Refinery agents, Plugins) running, cycles them on handoff or spec drift
 * at an idle point, ends them after a handoff when stopped, and stops a crash loop. One
 * registration per kind that declares sessions; the logic is shared.
 */
function sessionsController<M>(kind: 'Town' | 'Rig' | 'Plugin', desired: (host: SessionHost, t: Target<M>) => DesiredSession[]): Controller<SessionAction, SessionsObserved, M> {
  return {
    name: 'sessions',
    kind,
    observe: (ctx, t) => {
      const host = { root: ctx.root, inheritedPath: gtPath() };
      return observeSessions(ctx, t.world, host, desired(host, t));
    },
    plan: (t, o) => planSessions(desired({ root: o.root, inheritedPath: o.inheritedPath }, t), o, t.object.generation),
    act: (ctx, t, a) => actSessions(ctx, t.world, desired({ root: ctx.root, inheritedPath: gtPath() }, t), t.object.generation, a),
    describe: describeSessionAction,
    irreversible: sessionActionIsIrreversible,
  };
}

export const townSessionsController = sessionsController<Town>('Town', (host, t) => [mayorSession(host, t.object)]);
export const rigSessionsController = sessionsController<Rig>('Rig', (host, t) => rigSessions(host, t.object, t.world));
const pluginSessions = sessionsController<Plugin>('Plugin', (host, t) => [pluginSession(host, t.object, t.world)]);

/** A Plugin's only controller, so it finalizes: a deleted Plugin leaves the store once its session has ended. */
export const pluginSessionsController: Controller<SessionAction, SessionsObserved, Plugin> = {
  ...pluginSessions,
  plan: (t, o) => {
    const plan = pluginSessions.plan(t, o);
    const ended = Object.values(o.sessions).every((s) => !s.tmux);
    if (t.object.deletionRequestedAt === undefined || !ended || plan.actions.length) return plan;
    return { ...plan, actions: [{ type: 'finalizePlugin', name: t.object.manifest.metadata.name }] };
  },
};
