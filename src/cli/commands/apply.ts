import { computeChanges, type Incoming } from '../../apply/changeset.js';
import { readValidInput } from '../../apply/input.js';
import { writeChanges } from '../../apply/write.js';
import { actAsTownOwner } from '../../town/owner.js';
import { TownSession } from '../../town/session.js';
import { lockTimeoutMs, outputFormat, print, printData, type GlobalOptions } from '../options.js';
import { showProgress } from '../progress.js';
import { changeLines, failOnErrors, passLines } from '../render.js';

export interface ApplyOptions {
  filename: string[];
  dryRun?: boolean;
  prune?: boolean;
  /** commander's --no-reconcile sets this to false. */
  reconcile?: boolean;
  output?: string;
}

export async function applyCommand(g: GlobalOptions, o: ApplyOptions): Promise<number> {
  const format = outputFormat(o.output);
  const input = await readValidInput(o.filename, { town: g.town, prune: !!o.prune });
  await actAsTownOwner(input.root, o.dryRun ? 'read' : 'write', process.argv.slice(2));
  const incoming: Incoming[] = input.parsed.map((p) => ({ manifest: p.manifest, written: p.written, source: p.doc.file }));
  const session = new TownSession(input.root);
  if (o.dryRun) {
    const changes = computeChanges(incoming, input.stored, { prune: !!o.prune, now: new Date().toISOString() });
    if (format !== 'text') await printData(format, { dryRun: true, town: input.root, changes: changes.map(({ op, key }) => ({ op, key })) });
    else print([...changeLines(changes), changes.every((c) => c.op === 'unchanged') ? 'No changes (dry run).' : '(dry run: nothing was written)']);
    return 0;
  }
  await session.init();
  showProgress(session, format);
  // The town lock guards the read-modify-write of the store only: never the reconcile after it.
  const lock = await session.lock('gt apply', lockTimeoutMs(g));
  let changes: ReturnType<typeof computeChanges>;
  try {
    const now = new Date().toISOString();
    // Read the store again under the lock: another apply may have finished while we validated.
    changes = computeChanges(incoming, await session.store.list(undefined, { skipUnreadable: true }), { prune: !!o.prune, now });
    await writeChanges(session, changes, now);
  } finally {
    await lock.release();
  }
  const loop = await session.runningLoop();
  const reconcile = o.reconcile !== false && !loop;
  const outcomes = reconcile ? await session.reconciler.reconcileAll({ wait: { command: 'gt apply', waitMs: 0 } }) : [];
  if (format !== 'text') {
    await printData(format, { town: input.root, changes: changes.map(({ op, key }) => ({ op, key })), reconciledBy: loop ? { pid: loop.pid } : reconcile ? 'apply' : 'nobody', outcomes });
  } else {
    print(changes.every((c) => c.op === 'unchanged') ? 'Desired state unchanged.' : changeLines(changes));
    if (loop) print(`The running loop (pid ${loop.pid}) reconciles the change.`);
    else if (!reconcile) print('Stored only (--no-reconcile): gt diff shows the plan, gt run --once carries it out.');
    else print(passLines(outcomes));
  }
  // Only the objects this input names decide the exit code; another rig's failure is a warning.
  const named = new Set<string>(changes.map((c) => c.key));
  failOnErrors(outcomes, (key) => named.has(key));
  return 0;
}
