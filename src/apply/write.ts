import { FINALIZED_KINDS, parseKey } from '../model/objects.js';
import type { GtEventBody } from '../store/events.js';
import type { TownSession } from '../town/session.js';
import type { Change } from './changeset.js';

/** Stores the changes (under the caller's town lock) and logs them. */
export async function writeChanges(session: TownSession, changes: Change[], now: string): Promise<void> {
  const events: GtEventBody[] = [];
  for (const c of changes) {
    switch (c.op) {
      case 'create':
      case 'configure':
        await session.store.put(c.next);
        events.push({ type: 'applied', key: c.key, change: c.op === 'create' ? 'created' : 'configured', generation: c.next.generation });
        break;
      case 'delete': {
        const { kind, name } = parseKey(c.key);
        if (FINALIZED_KINDS.has(kind)) {
          await session.store.put({ ...c.prev, deletionRequestedAt: now });
          events.push({ type: 'applied', key: c.key, change: 'deletionRequested', generation: c.prev.generation });
        } else {
          await session.store.remove(kind, name);
          await session.reconciler.status.remove(kind, name);
          events.push({ type: 'applied', key: c.key, change: 'deleted', generation: c.prev.generation });
        }
        break;
      }
      case 'unchanged':
        break;
    }
  }
  await session.events.append(events);
}
