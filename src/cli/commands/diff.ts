import { applyToWorld, computeChanges, type Change } from '../../apply/changeset.js';
import { requireTown } from '../../town/locate.js';
import { actAsTownOwner } from '../../town/owner.js';
import { TownSession } from '../../town/session.js';
import { outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { changeLines, planLines, summaryLine } from '../render.js';
import { diffView } from '../views/diff.js';

export interface DiffOptions {
  filename?: string[];
  prune?: boolean;
  output?: string;
}

/** observe + plan for every controller, against the store or against the store as the files would leave it. Acts on nothing. */
export async function diffCommand(g: GlobalOptions, o: DiffOptions): Promise<number> {
  const format = outputFormat(o.output);
  let root: string;
  let changes: Change[] = [];
  let session: TownSession;
  let objects;
  if (o.filename?.length) {
    // Loaded only with -f: the YAML parser and the schema validator are most of gt's start-up.
    const { readValidInput } = await import('../../apply/input.js');
    const input = await readValidInput(o.filename, { town: g.town, prune: !!o.prune });
    root = input.root;
    await actAsTownOwner(root, 'read', process.argv.slice(2));
    const now = new Date().toISOString();
    changes = computeChanges(
      input.parsed.map((p) => ({ manifest: p.manifest, written: p.written, source: p.doc.file })),
      input.stored,
      { prune: !!o.prune, now },
    );
    session = new TownSession(root);
    objects = applyToWorld(input.stored, changes, now);
  } else {
    root = requireTown(g);
    session = new TownSession(root);
    objects = await session.store.list();
  }
  const { json, plans, summary } = await diffView(session, objects, changes);
  if (format !== 'text') {
    await printData(format, json);
  } else {
    const desired = changeLines(changes);
    if (desired.length) print(['Desired state (what applying the files would store):', ...desired.map((l) => `  ${l}`), '']);
    print(planLines(plans));
    print(summaryLine(summary));
  }
  return json.inSync ? 0 : 1;
}
