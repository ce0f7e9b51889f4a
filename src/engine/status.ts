import { rm } from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import type { Kind } from '../model/objects.js';
import type { Finding } from './controller.js';

export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration: number;
}

export interface ObjectStatus {
  observedGeneration: number;
  conditions: Condition[];
  findings: Finding[];
  /** Actions still planned after the last pass, as diff would print them. */
  pending: string[];
  lastError?: string;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/** Status files under .gt/status/, written only by controllers and only when something changed. */
export class StatusStore {
  constructor(private readonly dir: string) {}

  private file(kind: Kind, name: string): string {
    return path.join(this.dir, kind.toLowerCase(), `${name}.json`);
  }

  async get(kind: Kind, name: string): Promise<ObjectStatus | undefined> {
    const text = await readTextIfExists(this.file(kind, name));
    return text === undefined ? undefined : (JSON.parse(text) as ObjectStatus);
  }

  async update(kind: Kind, name: string, generation: number, conditions: ConditionInput[], rest: Omit<ObjectStatus, 'observedGeneration' | 'conditions'>): Promise<ObjectStatus> {
    const previous = await this.get(kind, name);
    const now = new Date().toISOString();
    const next: ObjectStatus = {
      observedGeneration: generation,
      conditions: conditions.map((c) => {
        const old = previous?.conditions.find((p) => p.type === c.type);
        // lastTransitionTime moves only when the status flips, as in Kubernetes.
        const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
        return { ...c, lastTransitionTime, observedGeneration: generation };
      }),
      ...rest,
    };
    const text = toJsonText(next);
    if (previous === undefined || toJsonText(previous) !== text) await writeFileAtomic(this.file(kind, name), text);
    return next;
  }

  async remove(kind: Kind, name: string): Promise<void> {
    await rm(this.file(kind, name), { force: true });
  }
}

export function conditionOf(status: ObjectStatus | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions.find((c) => c.type === type);
}
