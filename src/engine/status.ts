import { rm } from 'node:fs/promises';
import { listDir } from '../util/fs-read.js';
import path from 'node:path';
import { toJsonText, writeFileAtomic } from '../util/atomic.js';
import { CachedJsonReader } from '../util/cached-json.js';
import type { Kind } from '../model/objects.js';
import { statusFile, statusObjectDir } from '../town/layout.js';
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

/** What one controller last found for one object. */
export interface ControllerStatus {
  observedGeneration: number;
  conditions: Condition[];
  findings: Finding[];
  /** Actions still planned after the last pass, as diff would print them. */
  pending: string[];
  notes: string[];
  lastError?: string;
  /** Set by `gt run` after a failure: when it reconciles the object again, and how many attempts failed in a row. */
  retry?: { attempts: number; nextAttemptAt: string };
  /** Controller-specific facts for `gt status` (workers, queue, breaker, …). */
  details?: unknown;
}

/** An object's status: every controller's, and conditions summed up over them. */
export interface ObjectStatus extends ControllerStatus {
  controllers: Record<string, ControllerStatus>;
}

export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

/**
 * Status files under .gt/status/<kind>/<name>/<controller>.json: one writer each, so controllers
 * reconciling the same object at once never overwrite each other. Written only when changed.
 */
export class StatusStore {
  private readonly reader = new CachedJsonReader({ shared: true });

  constructor(private readonly dir: string) {}

  private objectDir(kind: Kind, name: string): string {
    return statusObjectDir(this.dir, kind, name);
  }

  async getController(kind: Kind, name: string, controller: string): Promise<ControllerStatus | undefined> {
    return this.reader.read<ControllerStatus>(statusFile(this.dir, kind, name, controller));
  }

  async get(kind: Kind, name: string): Promise<ObjectStatus | undefined> {
    const dir = this.objectDir(kind, name);
    const files = (await listDir(dir)).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
    if (!files.length) return undefined;
    const controllers: Record<string, ControllerStatus> = {};
    for (const f of files) {
      const status = await this.reader.read<ControllerStatus>(path.join(dir, f));
      if (status !== undefined) controllers[f.slice(0, -'.json'.length)] = status;
    }
    return { ...summarize(Object.values(controllers)), controllers };
  }

  async update(
    kind: Kind,
    name: string,
    controller: string,
    generation: number,
    conditions: ConditionInput[],
    rest: Omit<ControllerStatus, 'observedGeneration' | 'conditions'>,
  ): Promise<ControllerStatus> {
    const previous = await this.getController(kind, name, controller);
    const now = new Date().toISOString();
    const next: ControllerStatus = {
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
    if (previous === undefined || toJsonText(previous) !== text) await writeFileAtomic(statusFile(this.dir, kind, name, controller), text);
    return next;
  }

  /** Records the loop's next attempt after a failure, beside the failure the last pass wrote. */
  async setRetry(kind: Kind, name: string, controller: string, retry: NonNullable<ControllerStatus['retry']>): Promise<void> {
    const previous = await this.getController(kind, name, controller);
    if (previous?.lastError) await writeFileAtomic(statusFile(this.dir, kind, name, controller), toJsonText({ ...previous, retry }));
  }

  async remove(kind: Kind, name: string): Promise<void> {
    await rm(this.objectDir(kind, name), { recursive: true, force: true });
  }
}

/** Ready when every controller is; Stalled or Reconciling when any is; the oldest generation seen. */
function summarize(parts: ControllerStatus[]): ControllerStatus {
  const cond = (type: ConditionType) => parts.map((p) => p.conditions.find((c) => c.type === type)).filter((c): c is Condition => !!c);
  const pick = (type: ConditionType, wantTrue: boolean): Condition | undefined => {
    const all = cond(type);
    return wantTrue ? (all.find((c) => c.status === 'True') ?? all[0]) : (all.find((c) => c.status === 'False') ?? all[0]);
  };
  const conditions = [pick('Ready', false), pick('Reconciling', true), pick('Stalled', true)].filter((c): c is Condition => !!c);
  const failed = parts.find((p) => p.lastError);
  return {
    observedGeneration: Math.min(...parts.map((p) => p.observedGeneration)),
    conditions,
    findings: parts.flatMap((p) => p.findings),
    pending: parts.flatMap((p) => p.pending),
    notes: parts.flatMap((p) => p.notes ?? []),
    ...(failed?.lastError ? { lastError: failed.lastError } : {}),
    ...(failed?.retry ? { retry: failed.retry } : {}),
  };
}

export function conditionOf(status: ControllerStatus | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions.find((c) => c.type === type);
}
