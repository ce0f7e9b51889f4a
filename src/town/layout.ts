import path from 'node:path';

/** Where everything of a town lives (DESIGN.md §3). The one place that knows the layout. */
export function townPaths(root: string) {
  const gt = path.join(root, '.gt');
  return {
    root,
    gtDir: gt,
    storeDir: path.join(gt, 'store'),
    statusDir: path.join(gt, 'status'),
    events: path.join(gt, 'events.jsonl'),
    lock: path.join(gt, 'lock'),
    runLock: path.join(gt, 'run.lock'),
    /** One lock per work key being reconciled (src/store/key-lock.ts). */
    reconcilingDir: path.join(gt, 'reconciling'),
    configDir: path.join(root, 'config'),
    townJson: path.join(root, 'config', 'town.json'),
    rigsJson: path.join(root, 'config', 'rigs.json'),
    mayorDir: path.join(root, 'mayor'),
  };
}
export type TownPaths = ReturnType<typeof townPaths>;

/** Where the status of one object lives: one file per controller, `<statusDir>/<kind>/<name>/<controller>.json`. */
export function statusObjectDir(statusDir: string, kind: string, name: string): string {
  return path.join(statusDir, kind.toLowerCase(), name);
}

export function statusFile(statusDir: string, kind: string, name: string, controller: string): string {
  return path.join(statusObjectDir(statusDir, kind, name), `${controller}.json`);
}
