import { createHash } from 'node:crypto';
import type { Rig, Town } from '../model/objects.js';
import type { PoolState } from './records.js';

/**
 * The effective agent of a rig's polecats (the Town's agent, overridden field by field by the
 * Rig's), as a short hash: a change of either re-arms what a broken agent tripped (the circuit
 * breaker, crash-looping workers). The one place it is computed.
 */
export function agentFingerprint(town: Town | undefined, rig: Rig): string {
  const agents = [town?.spec.agent, rig.spec.agent];
  const command = [...agents].reverse().find((a) => a?.command)?.command ?? null;
  const preset = [...agents].reverse().find((a) => a?.preset)?.preset ?? null;
  const model = [...agents].reverse().find((a) => a?.model)?.model ?? null;
  const env = Object.assign({}, ...agents.map((a) => a?.env ?? {})) as Record<string, string>;
  const sorted = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(JSON.stringify({ command, env: sorted, ...(preset ? { preset } : {}), ...(model ? { model } : {}) }))
    .digest('hex')
    .slice(0, 16);
}

/** What a trip or a crash loop was recorded under: it holds while both are unchanged. */
export interface ArmKey {
  generation: number;
  /** agentFingerprint at the time; absent in records written before it was kept. */
  agent?: string;
}

/** A tripped breaker (or crash loop) still holds: same Rig spec generation and same effective agent. */
export function stillTripped(key: ArmKey | undefined, generation: number, agent: string): boolean {
  return !!key && key.generation === generation && (key.agent === undefined || key.agent === agent);
}

/** The rig's open breaker, or undefined when there is none or a spec change re-armed it. */
export function openBreaker(pool: PoolState, generation: number, agent: string): PoolState['breaker'] {
  return stillTripped(pool.breaker, generation, agent) ? pool.breaker : undefined;
}
