import type { Controller } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { agentFingerprint } from '../../src/workers/breaker.js';
import { describeWorkerAction, workerActionIsIrreversible, type WorkerAction } from './actions.js';
import { actPool } from './act.js';
import { observePool } from './observe.js';
import type { PoolObserved } from './observed.js';
import { planPool } from './plan.js';
import { gateOnAgentCommand } from './agent-command.js';
import { gateOnAgentScreens } from './agent-screen.js';
import { gateOnMemory, memoryPerWorkerMiB } from './capacity.js';
import { resolveAgent } from '../../src/agents/presets.js';

/** Keeps min(workers.max, ready issues) polecats working in a rig, and the witness duties (DESIGN.md §4 worker-pool). */
export const workerPoolController: Controller<WorkerAction, PoolObserved, Rig> = {
  name: 'workers',
  kind: 'Rig',
  observe: (ctx, t) => observePool(ctx, t.object.manifest, t.world),
  plan: (t, o) => {
    const agent = agentFingerprint(t.world.town?.manifest, t.object.manifest);
    const plan = planPool(t.object.manifest, t.object.generation, t.object.deletionRequestedAt !== undefined, o, { townSuspended: !!t.world.town?.manifest.spec.suspend, agent });
    const preset = resolveAgent([t.world.town?.manifest.spec.agent, t.object.manifest.spec.agent], '').preset?.name;
    const town = t.world.town?.manifest;
    const screened = gateOnAgentScreens(gateOnAgentCommand(plan, o, t.object.manifest.metadata.name, agent), o, preset, agent);
    return gateOnMemory(screened, o, memoryPerWorkerMiB(t.object.manifest, town));
  },
  act: (ctx, t, a) => actPool(ctx, t, a),
  describe: describeWorkerAction,
  irreversible: workerActionIsIrreversible,
};
