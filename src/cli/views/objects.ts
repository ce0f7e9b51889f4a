// What `gt get` shows, built once for the command and the dashboard's API.
import { fail } from '../../errors.js';
import type { ObjectStatus } from '../../engine/status.js';
import type { Kind } from '../../model/objects.js';
import type { StoredObject } from '../../store/store.js';
import type { TownSession } from '../../town/session.js';

export interface ObjectsView {
  objects: StoredObject[];
  statuses: (ObjectStatus | undefined)[];
  /** Each object as `gt get -o json` prints it. */
  full: Record<string, unknown>[];
}

/** Every object (of `kind`; or the one named `name`), with its status. */
export async function objectsView(session: TownSession, kind: Kind | undefined, name: string | undefined): Promise<ObjectsView> {
  let objects = await session.store.list(kind);
  if (name !== undefined) {
    objects = objects.filter((x) => x.manifest.metadata.name === name);
    if (!objects.length) fail({ kind: 'notFound', message: `${kind} "${name}" not found in ${session.root}` });
  }
  const statuses = await Promise.all(objects.map((x) => session.reconciler.status.get(x.manifest.kind, x.manifest.metadata.name)));
  return { objects, statuses, full: objects.map((x, i) => fullObject(x, statuses[i])) };
}

/** The object as Kubernetes would show it: metadata with generation and timestamps, spec, status. */
function fullObject(x: StoredObject, status: ObjectStatus | undefined): Record<string, unknown> {
  const { manifest } = x;
  return {
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    metadata: {
      ...manifest.metadata,
      generation: x.generation,
      creationTimestamp: x.createdAt,
      ...(x.deletionRequestedAt ? { deletionTimestamp: x.deletionRequestedAt } : {}),
    },
    spec: manifest.spec,
    ...(status ? { status } : {}),
  };
}

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
