import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FailpointName } from '../../src/util/failpoint.js';
import type { FaultContext } from './faults.js';

/*
 * `kill -9` of `gt run` at a failpoint only proves something when work passes that point while
 * it is armed. Each failpoint has a provocation: the work that makes the loop visit it (a new
 * issue walks a polecat from its record to its clone's deletion and the refinery from merge to
 * branch delete; a new Swarm writes beads; a second rig is cloned or removed; the mayor's
 * session is killed and restarted). The armed loop runs in a lane of its own, so the other
 * faults go on meanwhile; one failpoint at a time.
 */

interface Provocation {
  /** Brings the town to where the provocation can act, with the unarmed loop. */
  prepare?: (c: FaultContext) => Promise<void>;
  provoke: (c: FaultContext) => Promise<void>;
  /** How long the armed loop is given to reach the point. */
  windowMs: number;
  /** Which visits may be armed (the rarer points: only the first). */
  visits: [number, number];
}

const RIG = 'wyvern';
/** The second rig: cloned and removed to reach the rig controller's points. */
export const SPARE_RIG = 'roc';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let extra = 0;
export async function giveWork(c: FaultContext, description?: string): Promise<void> {
  await c.town.resetBreakerIfOpen();
  await c.town.gt(['issues', 'create', `failpoint work ${++extra}`, '--rig', RIG, ...(description ? ['-d', description] : [])]);
}

async function newSwarm(c: FaultContext): Promise<void> {
  const name = `c${++c.memory.appliedSwarms}`;
  const swarm = c.town.swarmManifest(name, 2);
  c.town.manifests.set(name, swarm);
  await c.town.apply(swarm);
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Waits (the unarmed loop working) until `ok`, at most `ms`. */
async function until(ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await ok()) return true;
    await sleep(250);
  }
  return false;
}

function spareStored(c: FaultContext): Promise<boolean> {
  return exists(path.join(c.town.root, '.gt', 'store', 'rig', `${SPARE_RIG}.json`));
}

function spareCloned(c: FaultContext): Promise<boolean> {
  return exists(path.join(c.town.root, SPARE_RIG, 'refinery', 'rig', '.git', 'HEAD'));
}

async function spareGone(c: FaultContext): Promise<void> {
  if (await spareStored(c)) await c.town.gt(['delete', 'rig', SPARE_RIG]);
  await until(async () => !(await spareStored(c)) && !(await spareCloned(c)), 30_000);
}

async function spareThere(c: FaultContext): Promise<void> {
  if (!(await spareStored(c))) await c.town.apply(c.town.spareRigManifest());
  await until(() => spareCloned(c), 30_000);
}

const issue: Provocation = { provoke: (c) => giveWork(c), windowMs: 20_000, visits: [1, 1] };
/** Points a polecat reaches only once its agent is done: the whole way from dispatch to merge. */
const finished: Provocation = { provoke: (c) => giveWork(c), windowMs: 40_000, visits: [1, 1] };
const frequent: Provocation = { provoke: (c) => giveWork(c), windowMs: 20_000, visits: [1, 3] };
const swarm: Provocation = { provoke: newSwarm, windowMs: 20_000, visits: [1, 1] };

export const PROVOCATIONS: Record<FailpointName, Provocation> = {
  'engine:after-intent': frequent,
  'rig:after-clone': { prepare: spareGone, provoke: async (c) => void (await c.town.apply(c.town.spareRigManifest())), windowMs: 20_000, visits: [1, 1] },
  'rig:after-clone-delete': { prepare: spareThere, provoke: async (c) => void (await c.town.gt(['delete', 'rig', SPARE_RIG])), windowMs: 20_000, visits: [1, 1] },
  'workers:after-record': issue,
  'workers:after-claim': issue,
  'workers:after-clone': issue,
  'workers:after-session-start': issue,
  'workers:after-merge-request': finished,
  'workers:after-session-stop': finished,
  'workers:after-clone-delete': finished,
  'merge:after-merge': finished,
  'merge:after-test': finished,
  'merge:after-push': finished,
  'merge:after-close': finished,
  'merge:after-branch-delete': finished,
  'swarm:after-write': swarm,
  'swarm:after-create-epic': swarm,
  'swarm:after-create-task': { ...swarm, visits: [1, 2] },
  'sessions:after-session-start': { provoke: (c) => Promise.resolve(void c.town.tmux(['kill-session', '-t', '=gt-mayor'])), windowMs: 20_000, visits: [1, 1] },
  // A change that breaks the tests: the merge queue sends it back to its polecat by mail.
  'mail:after-write': { provoke: (c) => giveWork(c, 'append status.txt: red'), windowMs: 40_000, visits: [1, 1] },
  'state:before-rename': frequent,
  'state:after-write': frequent,
};

/** Picks the visit to arm (synchronously, so the seeded sequence does not depend on the lane's timing). */
export function armVisit(c: FaultContext, name: FailpointName): number {
  const [lo, hi] = PROVOCATIONS[name].visits;
  return c.rng.int(lo, hi);
}

/** Arms `name@visit` in a fresh `gt run`, provokes the work, and waits for the SIGKILL or the window's end; then an unarmed loop again. */
export async function runArmed(c: FaultContext, name: FailpointName, visit: number): Promise<boolean> {
  const p = PROVOCATIONS[name];
  const { town, memory } = c;
  const started = Date.now();
  await p.prepare?.(c);
  await town.stopLoop();
  const child = town.startLoop(`${name}@${visit}`);
  const died = new Promise<boolean>((resolve) => {
    const guard = setTimeout(() => resolve(false), p.windowMs);
    child.once('exit', (_code, signal) => {
      clearTimeout(guard);
      resolve(signal === 'SIGKILL');
    });
  });
  // Commands such as gt delete act themselves when no loop runs: the armed one must be the actor.
  await town.untilLoopHolds(child);
  await p.provoke(c);
  const reached = await died;
  if (reached) memory.failpointsReached.set(name, (memory.failpointsReached.get(name) ?? 0) + 1);
  else await town.stopLoop();
  town.startLoop();
  c.log(`failpoint ${name}@${visit}: ${reached ? 'killed there' : `not reached in ${p.windowMs / 1000} s`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return reached;
}
