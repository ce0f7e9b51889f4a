import type { Change } from '../../apply/changeset.js';
import { readValidInput } from '../../apply/input.js';
import { writeChanges } from '../../apply/write.js';
import { fail } from '../../errors.js';
import { keyOf, type Kind } from '../../model/objects.js';
import { requireTown } from '../../town/locate.js';
import { TownSession } from '../../town/session.js';
import { lockTimeoutMs, outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { outcomeLines } from '../render.js';
import { parseKindWord } from './get.js';

export interface DeleteOptions {
  filename?: string[];
  ignoreNotFound?: boolean;
  output?: string;
}

/**
 * Marks objects for deletion (Rig, Swarm, Plugin: their controller cleans up, then removes the
 * record; a Rig only once no clone holds work, a Swarm after closing the tasks nobody worked on).
 */
export async function deleteCommand(g: GlobalOptions, kindWord: string | undefined, name: string | undefined, o: DeleteOptions): Promise<number> {
  const format = outputFormat(o.output);
  let root: string;
  let wanted: { kind: Kind; name: string }[];
  if (o.filename?.length) {
    const input = await readValidInput(o.filename, { town: g.town });
    root = input.root;
    wanted = input.parsed.map((p) => ({ kind: p.manifest.kind, name: p.manifest.metadata.name }));
  } else {
    if (!kindWord || !name) fail({ kind: 'usage', message: 'gt delete KIND NAME, or gt delete -f PATH' });
    root = requireTown(g);
    wanted = [{ kind: parseKindWord(kindWord), name }];
  }
  const session = new TownSession(root);
  // The town lock guards the read-modify-write of the store only: the cleanup runs without it.
  const lock = await session.lock('gt delete', lockTimeoutMs(g));
  const changes: Change[] = [];
  try {
    const stored = await session.store.list();
    for (const w of wanted) {
      const prev = stored.find((s) => s.manifest.kind === w.kind && s.manifest.metadata.name === w.name);
      if (!prev) {
        if (o.ignoreNotFound || o.filename?.length) continue;
        fail({ kind: 'notFound', message: `${w.kind} "${w.name}" not found in ${root}` });
      }
      if (prev.deletionRequestedAt) continue;
      changes.push({ op: 'delete', key: keyOf(prev.manifest), prev });
    }
    const deleting = new Set(changes.map((c) => c.key));
    const remaining = stored.filter((s) => !deleting.has(keyOf(s.manifest)) && s.manifest.kind !== 'Town');
    if (changes.some((c) => c.key.startsWith('Town/')) && remaining.length) {
      fail({ kind: 'conflict', message: `the Town still has ${remaining.length} object(s) (${remaining.map((s) => keyOf(s.manifest)).join(', ')}); delete them first` });
    }
    // Town last: its rigs' cleanup needs it.
    changes.sort((a, b) => Number(a.key.startsWith('Town/')) - Number(b.key.startsWith('Town/')));
    await writeChanges(session, changes, new Date().toISOString());
  } finally {
    await lock.release();
  }
  if (format === 'text') print(changes.length ? changes.map((c) => `- ${c.key} (deletion requested)`) : 'Nothing to delete.');
  const loop = await session.runningLoop();
  const outcomes = loop ? [] : await session.reconciler.reconcileAll({ wait: { command: 'gt delete', waitMs: 0 } });
  if (format !== 'text') await printData(format, { town: root, changes: changes.map(({ op, key }) => ({ op, key })), reconciledBy: loop ? { pid: loop.pid } : 'delete', outcomes });
  else print(loop ? `The running loop (pid ${loop.pid}) carries out the removal.` : outcomeLines(outcomes));
  return 0;
}
