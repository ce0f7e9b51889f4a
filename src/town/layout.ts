import path from 'node:path';

/** The town files gt renders, relative to the root, as the town controller's file actions name them. */
export const TOWN_FILES = {
  townJson: path.join('config', 'town.json'),
  rigsJson: path.join('config', 'rigs.json'),
  /** The gt every agent calls (its directory is first on their PATH): the agent contract. */
  gtShim: path.join('.gt', 'bin', 'gt'),
} as const;

/** Where everything of a town lives (DESIGN.md §3). The one place that knows the layout. */
const known = new Map<string, TownPaths>();

/** Every path of the town at `root`, built once per root (observe asks for them for every key). */
export function townPaths(root: string): TownPaths {
  let paths = known.get(root);
  if (!paths) {
    paths = Object.freeze(layoutOf(root));
    known.set(root, paths);
  }
  return paths;
}

function layoutOf(root: string) {
  const gt = path.join(root, '.gt');
  return {
    root,
    gtDir: gt,
    binDir: path.dirname(path.join(root, TOWN_FILES.gtShim)),
    gtShim: path.join(root, TOWN_FILES.gtShim),
    /** The town's tmux socket when the spec names none and the path is short enough (src/town/services.ts). */
    tmuxSocket: path.join(gt, 'tmux.sock'),
    workersDir: path.join(gt, 'workers'),
    sessionsDir: path.join(gt, 'sessions'),
    mergeQueueDir: path.join(gt, 'merge-queue'),
    promptsDir: path.join(gt, 'prompts'),
    storeDir: path.join(gt, 'store'),
    statusDir: path.join(gt, 'status'),
    events: path.join(gt, 'events.jsonl'),
    lock: path.join(gt, 'lock'),
    runLock: path.join(gt, 'run.lock'),
    /** One lock per work key being reconciled (src/store/key-lock.ts). */
    reconcilingDir: path.join(gt, 'reconciling'),
    configDir: path.join(root, 'config'),
    townJson: path.join(root, TOWN_FILES.townJson),
    rigsJson: path.join(root, TOWN_FILES.rigsJson),
    mayorDir: path.join(root, 'mayor'),
  };
}
export type TownPaths = Readonly<ReturnType<typeof layoutOf>>;

/** An agent's prompt file (GT_PROMPT_FILE): `_town` holds the town-level agents'. */
export function promptFile(root: string, rig: string, session: string): string {
  return path.join(townPaths(root).promptsDir, rig || '_town', `${session}.md`);
}

/** Where the status of one object lives: one file per controller, `<statusDir>/<kind>/<name>/<controller>.json`. */
export function statusObjectDir(statusDir: string, kind: string, name: string): string {
  return path.join(statusDir, kind.toLowerCase(), name);
}

export function statusFile(statusDir: string, kind: string, name: string, controller: string): string {
  return path.join(statusObjectDir(statusDir, kind, name), `${controller}.json`);
}

export type BeadsLocation = 'town' | 'repository';

/**
 * Where a rig's issues live (Rig `beads.location`): `dir` is what BEADS_DIR names, the town's
 * `<rig>/.beads` or the `.beads` of the refinery clone (the repository's own). The town's
 * directory keeps gt's lock and push mark in both cases.
 */
export function rigBeadsPaths(root: string, rig: string, location: BeadsLocation = 'town') {
  const townDir = path.join(root, rig, '.beads');
  const clone = path.join(root, rig, 'refinery', 'rig');
  return {
    location,
    townDir,
    clone,
    dir: location === 'repository' ? path.join(clone, '.beads') : townDir,
    lockFile: path.join(townDir, 'issues.jsonl.lock'),
    pushedMark: path.join(townDir, 'repository-head'),
  };
}
