import { listDir, readTextIfExists } from '../../src/util/fs-read.js';
import { AGENT_FILES } from '../../src/workers/polecat.js';
import path from 'node:path';
import { inspectClone, PARTIAL_MARK, type CloneState } from '../../src/adapters/git.js';
import { findBdDatabase } from '../../src/beads/layout.js';
import type { ObserveContext } from '../../src/engine/controller.js';
import { observePaths, type PathsObserved } from '../common/observe-fs.js';
import { refineryClone, remoteHead } from '../common/shared-facts.js';
import type { CloneRole } from './actions.js';

export interface RigObserved {
  paths: PathsObserved;
  clones: Record<CloneRole, CloneState>;
  /** Town-relative paths of temporaries left by interrupted clones. */
  partials: string[];
  /** Only when the rig is being removed: every polecat clone, inspected for unpushed work. */
  polecats: { path: string; state: CloneState }[];
  /** Only when the rig is being removed: non-empty lines in .beads/issues.jsonl. */
  beadsLines: number;
  /** Only when the rig is being removed: polecats the worker pool still has records for. */
  workers: string[];
  /** Only when the rig is being removed: its live witness, refinery and plugin sessions. */
  roleSessions: string[];
  /** `.beads` holds a bd database (Dolt or SQLite): issues.jsonl there is bd's export, not gt's to seed. */
  bdDatabase: boolean;
  /** The remote's default branch as the refinery clone recorded it (undefined before that clone exists). */
  remoteHead: string | undefined;
}

/** Town-relative paths of one rig; the single place the rig controller takes them from. */
export function rigLayout(rig: string) {
  return {
    dirs: [rig, `${rig}/.beads`, `${rig}/polecats`, `${rig}/witness`, `${rig}/plugins`, `${rig}/refinery`, `${rig}/mayor`],
    config: `${rig}/config.json`,
    issues: `${rig}/.beads/issues.jsonl`,
    beadsConfig: `${rig}/.beads/config.yaml`,
    polecats: `${rig}/polecats`,
    clones: { refinery: `${rig}/refinery/rig`, mayor: `${rig}/mayor/rig` } as Record<CloneRole, string>,
  };
}

export interface RigSources {
  workerRecords: (rig: string) => Promise<{ name: string }[]>;
  /** Live long-running agent sessions of the rig (their session-cycle controller ends them). */
  roleSessions: (rig: string) => Promise<string[]>;
}

export async function observeRig(ctx: ObserveContext, rig: string, removing: boolean, sources: RigSources): Promise<RigObserved> {
  const root = ctx.root;
  const l = rigLayout(rig);
  const abs = (p: string) => path.join(root, p);
  const [paths, refinery, mayor, partials, polecats, beadsLines, workers, roleSessions, bdDatabase, head] = await Promise.all([
    observePaths(root, { dirs: l.dirs, files: [l.config, l.beadsConfig], present: [l.issues] }),
    // Its work is asked for only while the rig is removed; its identity is the merge queue's too.
    removing ? inspectClone(abs(l.clones.refinery), { work: true }) : refineryClone(ctx, rig),
    inspectClone(abs(l.clones.mayor), { work: removing }),
    findPartials(root, [path.dirname(l.clones.refinery), path.dirname(l.clones.mayor)]),
    removing ? observePolecats(root, l.polecats) : Promise.resolve([]),
    removing ? countLines(abs(l.issues)) : Promise.resolve(0),
    removing ? sources.workerRecords(rig).then((rs) => rs.map((r) => r.name)) : Promise.resolve([]),
    removing ? sources.roleSessions(rig) : Promise.resolve([]),
    findBdDatabase(abs(`${rig}/.beads`)),
    remoteHead(ctx, rig),
  ]);
  return {
    paths,
    clones: { refinery, mayor },
    partials,
    polecats,
    beadsLines,
    workers,
    roleSessions,
    bdDatabase: bdDatabase !== undefined,
    remoteHead: head,
  };
}

async function findPartials(root: string, parents: string[]): Promise<string[]> {
  const found = await Promise.all(parents.map(async (p) => (await listDir(path.join(root, p))).filter((n) => n.includes(PARTIAL_MARK)).map((n) => `${p}/${n}`)));
  return found.flat().sort();
}

async function observePolecats(root: string, dir: string): Promise<{ path: string; state: CloneState }[]> {
  const all = (await listDir(path.join(root, dir))).sort();
  // A released polecat's directory may hold only its mail: nothing there is work.
  const mailOnly = await Promise.all(all.map(async (n) => (await listDir(path.join(root, dir, n))).every((e) => AGENT_FILES.has(e))));
  const names = all.filter((_, i) => !mailOnly[i]);
  return Promise.all(names.map(async (n) => ({ path: `${dir}/${n}`, state: await inspectClone(path.join(root, dir, n), { work: true }) })));
}

async function countLines(file: string): Promise<number> {
  const text = (await readTextIfExists(file)) ?? '';
  return text.split('\n').filter((l) => l.trim()).length;
}
