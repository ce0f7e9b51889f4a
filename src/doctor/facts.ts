import type { CloneState } from '../adapters/git.js';
import type { SessionInfo } from '../runtime/tmux.js';
import type { DesiredWorld } from '../engine/controller.js';
import type { Finding } from '../engine/controller.js';
import type { Condition } from '../engine/status.js';
import type { Diagnostic, LockHolder } from '../errors.js';
import type { ObjectKey } from '../model/objects.js';
import type { PoolState, WorkerRecord } from '../workers/records.js';

/**
 * Everything `gt doctor` looks at, gathered once (observe.ts) and then judged by pure functions
 * (judge-*.ts), the controllers' observe → plan shape. Paths are relative to the town root.
 */
export interface DoctorFacts {
  world: DesiredWorld;
  socket: string;
  /** Every session on the town's socket; [] when its server is not running. */
  sessions: SessionInfo[];
  /** Worker records and pool state of each Rig in the store, by rig name. */
  workers: Record<string, WorkerRecord[]>;
  pools: Record<string, PoolState>;
  /** What each controller's plan (the one gt diff prints) says waits on a person, per object. */
  plans: PlanFact[];
  /** Objects whose status holds a Stalled condition that is True. */
  stalled: StalledFact[];
  /** Controllers whose last reconcile of an object, under its current spec, failed with a retryable error. */
  failures: FailureFact[];
  clones: CloneFact[];
  locks: LockFact[];
  beads: BeadsFact[];
  /** Rigs that left beads.location out while their repository carries beads of its own. */
  repoBeads: RepoBeadsFact[];
  mail: MailFact[];
  /** Issues blocked because the merge queue rejected them maxAttempts times, still blocked. */
  blockedIssues: BlockedIssueFact[];
  /** Space left on the file system that holds the town (undefined when it cannot be asked). */
  disk?: { root: string; freeBytes: number; totalBytes: number };
}

export interface BlockedIssueFact {
  rig: string;
  issueId: string;
  rejections: number;
  reason: string;
  blockedAt: string;
}

export interface PlanFact {
  key: ObjectKey;
  controller: string;
  findings: Finding[];
  /** Observing failed: nothing could be planned. */
  error?: string;
}

export interface FailureFact {
  key: ObjectKey;
  controller: string;
  /** The status's lastError: the action and why it failed. */
  error: string;
  /** When the running loop tries again (its backoff), if one is running. */
  nextAttemptAt?: string;
}

export interface StalledFact {
  key: ObjectKey;
  /** The object's generation now, to tell a condition about an older spec. */
  generation: number;
  condition: Condition;
}

export interface CloneFact {
  path: string;
  rig: string;
  role: 'polecat' | 'refinery' | 'mayor';
  /** Set for polecat clones. */
  polecat?: string;
  /** Polecat clones are inspected for work (uncommitted, stashed, unpushed); the others for identity only. */
  state: CloneState;
}

export interface LockFact {
  file: string;
  holder: LockHolder;
  /** The holder's pid is dead on this host (a lock from another host is never judged stale). */
  stale: boolean;
}

export interface BeadsFact {
  file: string;
  problems: Diagnostic[];
  /** The rig's bd database, when the town's backend is auto and bd is not on PATH. */
  bdMissing?: string;
}

export interface RepoBeadsFact {
  rig: string;
  /** The repository's tracker as seen in the refinery clone: its issues.jsonl with how many issues, or its bd database. */
  found: string;
}

export interface MailFact {
  file: string;
  /** 1-based numbers of the lines that are not JSON. */
  torn: number[];
}
