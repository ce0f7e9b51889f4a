import { readFile } from 'node:fs/promises';
import { resolveAgent } from '../../src/agents/presets.js';
import type { Plan } from '../../src/engine/controller.js';
import type { Rig, Town } from '../../src/model/objects.js';
import type { WorkerAction } from './actions.js';
import type { PoolObserved } from './observed.js';

/** Memory frees up without any event gt could see: a rig held by it looks again this often. */
const MEMORY_RECHECK_MS = 30_000;

/** `512M`, `2G` (the schema's memory pattern) in MiB. */
export function parseMemoryMiB(text: string): number {
  const m = /^([0-9]+)(M|G)$/.exec(text);
  if (!m) throw new Error(`memory "${text}": expected a number of M or G, such as 512M or 2G`);
  return Number(m[1]) * (m[2] === 'G' ? 1024 : 1);
}

/** The machine's available memory in MiB (MemAvailable of /proc/meminfo); undefined where there is none (not Linux). */
export async function observeMemAvailableMiB(): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile('/proc/meminfo', 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const kib = /^MemAvailable:\s+([0-9]+) kB$/m.exec(text)?.[1];
  return kib === undefined ? undefined : Math.floor(Number(kib) / 1024);
}

/**
 * Pure: no new polecat starts while the machine's available memory minus the town's reserve is
 * below what one needs (`perWorkerMiB`: workers.memoryPerWorker, or the preset's figure);
 * workers.max stays the upper bound. Each spawn in one pass takes its share. The rig says so
 * with the figures (CapacityLimited) while ready issues wait, and looks again a while later.
 */
export function gateOnMemory(plan: Plan<WorkerAction>, o: PoolObserved, perWorkerMiB: number | undefined): Plan<WorkerAction> {
  if (perWorkerMiB === undefined || o.memAvailableMiB === undefined || o.memReserveMiB === undefined) return plan;
  const reserveMiB = o.memReserveMiB;
  const fresh = plan.actions.filter((a) => a.type === 'spawnWorker' && !o.records.some((r) => r.name === (a as { name: string }).name));
  if (!fresh.length) return plan;
  const room = o.memAvailableMiB - reserveMiB;
  const fits = Math.max(0, Math.floor(room / perWorkerMiB));
  if (fits >= fresh.length) return plan;
  const held = fresh.slice(fits);
  const message = `${held.length} polecat${held.length === 1 ? '' : 's'} not started: ${o.memAvailableMiB} MiB available, minus the town's memoryReserve of ${reserveMiB} MiB, leaves ${Math.max(0, room)} MiB; each needs workers.memoryPerWorker ${perWorkerMiB} MiB. Free memory, or lower workers.memoryPerWorker or the Town's memoryReserve; gt looks again every ${MEMORY_RECHECK_MS / 1000}s`;
  return {
    ...plan,
    actions: plan.actions.filter((a) => !held.includes(a)),
    findings: [...plan.findings, { code: 'CapacityLimited', message }],
    requeueAfterMs: Math.min(plan.requeueAfterMs ?? MEMORY_RECHECK_MS, MEMORY_RECHECK_MS),
  };
}

/** What one polecat of the rig needs: workers.memoryPerWorker, else its agent preset's figure. */
export function memoryPerWorkerMiB(rig: Rig, town: Town | undefined): number | undefined {
  const spec = rig.spec.workers?.memoryPerWorker;
  return spec ? parseMemoryMiB(spec) : resolveAgent([town?.spec.agent, rig.spec.agent], '').preset?.memoryMiB;
}

export function memoryReserveMiB(town: Town): number {
  return parseMemoryMiB(town.spec.memoryReserve);
}
