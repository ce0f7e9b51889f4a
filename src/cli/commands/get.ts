import { fail } from '../../errors.js';
import { conditionOf, type ObjectStatus } from '../../engine/status.js';
import { KINDS, kindFromWord, type Kind } from '../../model/objects.js';
import type { StoredObject } from '../../store/store.js';
import { age, objectsView } from '../views/objects.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { isSwarmDetails, progressLine, taskTable } from '../../swarm/details.js';

export function parseKindWord(word: string): Kind {
  const kind = kindFromWord(word);
  if (!kind) fail({ kind: 'usage', message: `unknown kind "${word}": expected one of ${KINDS.join(', ')}` });
  return kind;
}

export async function getCommand(g: GlobalOptions, kindWord: string | undefined, name: string | undefined, o: { output?: string }): Promise<number> {
  const format = outputFormat(o.output);
  const session = new TownSession(requireTown(g));
  const kind = kindWord ? parseKindWord(kindWord) : undefined;
  const { objects, statuses, full } = await objectsView(session, kind, name);
  if (format !== 'text') {
    await printData(format, name !== undefined ? full[0] : { items: full });
  } else if (kind === 'Swarm' && name !== undefined) {
    print([...table(objects, statuses), '', ...swarmView(statuses[0])]);
  } else {
    print(objects.length ? table(objects, statuses) : `No objects${kind ? ` of kind ${kind}` : ''} in ${session.root}.`);
  }
  return 0;
}

/** `gt get swarm NAME`: its tasks with issue, wave and state, then progress and what waits on a person. */
function swarmView(status: ObjectStatus | undefined): string[] {
  const details = status?.controllers.swarm?.details;
  if (!isSwarmDetails(details)) return ['Not reconciled yet: no tasks to show (gt run --once).'];
  const f = status?.controllers.swarm?.findings ?? [];
  return [`Epic ${details.epic ?? '(not created yet)'} in rig ${details.rig}: ${details.title}`, '', ...taskTable(details), '', progressLine(details), ...f.map((x) => `! ${x.code}: ${x.message}`)];
}

function table(objects: StoredObject[], statuses: (ObjectStatus | undefined)[]): string[] {
  const rows = objects.map((x, i) => {
    const s = statuses[i];
    const ready = conditionOf(s, 'Ready');
    const state = x.deletionRequestedAt
      ? 'Terminating'
      : !s
        ? ['Town', 'Rig', 'Swarm'].includes(x.manifest.kind)
          ? 'NotReconciled'
          : 'Stored'
        : ready?.status === 'True'
          ? 'Ready'
          : (ready?.reason ?? 'Unknown');
    const stale = s && s.observedGeneration !== x.generation ? ' (stale)' : '';
    return [x.manifest.kind, x.manifest.metadata.name, String(x.generation), state + stale, age(x.createdAt), ready?.status === 'True' ? '' : (ready?.message ?? '')];
  });
  const header = ['KIND', 'NAME', 'GEN', 'STATUS', 'AGE', 'MESSAGE'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [header, ...rows].map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}
