import path from 'node:path';
import { inspectClone, type CloneState } from '../../src/adapters/git.js';
import type { ObserveContext } from '../../src/engine/controller.js';
import { observeOnce } from '../../src/engine/observation-pass.js';
import { observedRemoteHead } from '../../src/town/default-branch.js';
import { townPaths } from '../../src/town/layout.js';
import { statIfExists } from '../../src/util/fs-read.js';

/*
 * Facts more than one controller observes, each read once per planning pass (ObserveContext).
 * Their keys are made here only, so two controllers never name one fact differently.
 */

/** The identity of the rig's refinery clone (no git process: see inspectClone). */
export function refineryClone(ctx: ObserveContext, rig: string): Promise<CloneState> {
  return observeOnce(ctx.pass, `refineryClone:${rig}`, () => inspectClone(path.join(ctx.root, rig, 'refinery', 'rig')));
}

/** The remote's default branch as the rig's refinery clone recorded it. */
export function remoteHead(ctx: ObserveContext, rig: string): Promise<string | undefined> {
  return observeOnce(ctx.pass, `remoteHead:${rig}`, () => observedRemoteHead(ctx.root, rig));
}

/** The town's gt shim exists: agents call gt through it, and the town controller renders it. */
export function gtShimExists(ctx: ObserveContext): Promise<boolean> {
  return observeOnce(ctx.pass, 'contractReady', async () => (await statIfExists(townPaths(ctx.root).gtShim)) !== undefined);
}
