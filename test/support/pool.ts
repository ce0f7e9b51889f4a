import type { PoolObserved } from '../../controllers/worker-pool/observed.js';
import type { Issue } from '../../src/beads/record.js';

/**
 * What the worker pool's pure plans are given, for table tests: an empty, ready rig at `now`
 * (its refinery cloned, the gt shim there, the remote's HEAD `main`), with the case's facts over it.
 */
export function poolObserved(now: number, over: Partial<PoolObserved> = {}): PoolObserved {
  return {
    now,
    issues: [],
    ready: [],
    records: [],
    signals: {},
    sessions: [],
    clones: {},
    polecatDirs: [],
    reusableDirs: [],
    swarmOf: {},
    swarmLimits: {},
    pool: { spawnFailures: 0 },
    handoffs: {},
    stuckPlugins: [],
    stuckVerdicts: {},
    stuckAsked: {},
    contractReady: true,
    remoteHead: 'main',
    refineryCloned: true,
    ...over,
  };
}

/** An open task of priority 2 created at `createdAt`, with the case's fields over it. */
export function poolIssue(id: string, createdAt: string, over: Partial<Issue> = {}): Issue {
  return { id, title: id, description: '', status: 'open', priority: 2, issue_type: 'task', created_at: createdAt, updated_at: createdAt, dependencies: [], ...over };
}
