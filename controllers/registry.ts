import type { AnyController } from '../src/engine/controller.js';
import { rigController } from './rig/controller.js';
import { townController } from './town/controller.js';
import { workerPoolController } from './worker-pool/controller.js';
import { swarmController } from './swarm-wave/controller.js';
import { refineryController } from './merge-queue/controller.js';
import { pluginSessionsController, rigSessionsController, townSessionsController } from './session-cycle/controller.js';

/**
 * Every controller, in the order they run for an object; the first one of a kind is its primary
 * (it finalizes deletions). Kinds without a controller are stored and validated only.
 */
export const CONTROLLERS: readonly AnyController[] = [
  townController,
  townSessionsController,
  rigController,
  workerPoolController,
  refineryController,
  rigSessionsController,
  swarmController,
  pluginSessionsController,
].map((c) => c as unknown as AnyController);
