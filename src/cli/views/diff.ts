// What `gt diff` shows, built once for the command, the dashboard's API and its action previews.
import type { Change } from '../../apply/changeset.js';
import { isInSync, worldFrom, type KeyPlan } from '../../engine/reconciler.js';
import type { StoredObject } from '../../store/store.js';
import type { TownSession } from '../../town/session.js';
import { planJson, summarize, type Summary } from '../render.js';

/** `gt diff -o json`, as documented in the README. */
export interface DiffJson {
  town: string;
  inSync: boolean;
  summary: Summary;
  changes: { op: Change['op']; key: string; fields?: unknown }[];
  plans: ReturnType<typeof planJson>[];
}

export interface DiffView {
  json: DiffJson;
  plans: KeyPlan[];
  summary: Summary;
}

/** observe + plan for every controller against `objects` (the store, or the store as `changes` would leave it). Acts on nothing. */
export async function diffView(session: TownSession, objects: StoredObject[], changes: Change[]): Promise<DiffView> {
  const plans = await session.reconciler.planAll(worldFrom(objects));
  const summary = summarize(changes, plans);
  const inSync = !changes.some((c) => c.op !== 'unchanged') && plans.every(isInSync);
  const json: DiffJson = {
    town: session.root,
    inSync,
    summary,
    changes: changes.filter((c) => c.op !== 'unchanged').map((c) => ({ op: c.op, key: c.key, ...(c.op === 'configure' ? { fields: c.fields } : {}) })),
    plans: plans.map(planJson),
  };
  return { json, plans, summary };
}
