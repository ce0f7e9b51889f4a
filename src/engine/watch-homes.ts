import path from 'node:path';
import { watch } from 'chokidar';
import type { DesiredWorld } from './controller.js';
import { listDir, statIfExists } from '../util/fs-read.js';
import { watchedDirs } from './wake-map.js';

/** How long after a change of the town's shape (a clone made, a rig added) the watched set is listed again. */
const REFRESH_DELAY_MS = 100;

export interface HomeWatch {
  /** The desired state changed: rigs may have come or gone. */
  follow(world: DesiredWorld): void;
  /** Agent homes may have come or gone (a reconcile did something). */
  refreshSoon(): void;
  close(): Promise<void>;
}

/**
 * Watches, one level deep each, the directories where programs other than the loop change what
 * it reconciles (watchedDirs): issues, worker records, merge requests, agents' state.json and
 * inboxes. A clone's own files are never watched: in an agent's home only state.json counts.
 */
export function watchAgentHomes(root: string, scratch: (p: string) => boolean, onChange: (file: string) => void): HomeWatch {
  const watcher = watch([], { ignoreInitial: true, depth: 0, ignored: scratch });
  let homes = new Set<string>();
  let watched = new Set<string>();
  let world: DesiredWorld | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  watcher.on('all', (_event, file) => {
    const dir = path.dirname(file);
    // An agent's home is its clone too: only its state file is news.
    if (homes.has(dir) && path.basename(file) !== 'state.json') return;
    if (path.basename(dir) === 'mail' && homes.has(path.dirname(dir)) && path.basename(file) !== 'inbox.jsonl') return;
    onChange(file);
  });

  const refresh = async () => {
    if (!world || closed) return;
    const found = await agentHomes(root, world);
    const dirs = watchedDirs(root, world, found);
    const present = await Promise.all(dirs.map(async (d) => (await statIfExists(d))?.isDirectory() === true));
    const next = new Set(dirs.filter((_, i) => present[i]));
    if (closed) return;
    const added = [...next].filter((d) => !watched.has(d));
    const gone = [...watched].filter((d) => !next.has(d));
    if (added.length) watcher.add(added);
    if (gone.length) watcher.unwatch(gone);
    homes = new Set(found);
    watched = next;
  };
  const refreshSoon = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void refresh().catch(() => undefined);
    }, REFRESH_DELAY_MS);
  };
  return {
    follow(w) {
      world = w;
      refreshSoon();
    },
    refreshSoon,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** Every existing agent home: the mayor, each rig's witness, refinery, polecats and plugins, town-wide plugins. */
async function agentHomes(root: string, world: DesiredWorld): Promise<string[]> {
  const out = [path.join(root, 'mayor')];
  const under = async (...p: string[]) => (await listDir(path.join(root, ...p))).filter((n) => !n.startsWith('.')).map((n) => path.join(root, ...p, n));
  out.push(...(await under('plugins')));
  for (const o of world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const rig = o.manifest.metadata.name;
    out.push(path.join(root, rig, 'witness'), path.join(root, rig, 'refinery'));
    out.push(...(await under(rig, 'polecats')), ...(await under(rig, 'plugins')));
  }
  return out;
}
