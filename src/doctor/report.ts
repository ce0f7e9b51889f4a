import { isInSync, type KeyPlan } from '../engine/reconciler.js';
import type { TownSession } from '../town/session.js';
import type { HealthFinding } from './findings.js';
import { judgeHealth } from './judge.js';
import { observeHealth } from './observe.js';

/** What `gt doctor` reports: every controller's plan (as gt diff) and the health findings. */
export interface DoctorReport {
  town: string;
  inSync: boolean;
  plans: KeyPlan[];
  findings: HealthFinding[];
}

export async function healthFindings(session: TownSession): Promise<HealthFinding[]> {
  const world = await session.reconciler.loadWorld();
  return judgeHealth(await observeHealth(session, world, await session.reconciler.planAll(world)));
}

/** observe + plan for every controller, then the health checks. Acts on nothing. */
export async function examine(session: TownSession): Promise<DoctorReport> {
  const world = await session.reconciler.loadWorld();
  const plans = await session.reconciler.planAll(world);
  const findings = judgeHealth(await observeHealth(session, world, plans));
  return { town: session.root, inSync: plans.every(isInSync), plans, findings };
}

export function healthy(r: DoctorReport): boolean {
  return r.inSync && r.findings.length === 0;
}
