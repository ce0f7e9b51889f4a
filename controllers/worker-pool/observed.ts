import type { CommandCheck } from '../../src/agents/command.js';
import type { Issue } from '../../src/beads/record.js';
import type { HookPlugin, HookQuestion, Verdict } from '../../src/plugins/hooks.js';
import type { DoneSignal, PoolState, WorkerRecord } from '../../src/workers/records.js';
import type { VerifyFacts } from '../../src/workers/verification.js';

/** A tmux session of this rig as the worker pool sees it. */
export interface SessionView {
  name: string;
  alive: boolean;
  /** Polecat name from the session's metadata (or its name); undefined for a session gt did not make. */
  polecat: string | undefined;
  activityAt: number;
  /** How a dead pane's program exited (126/127: env(1) could not run or find it). */
  exitStatus?: number;
  /** The effective agent (agentFingerprint) the session was started with, from its metadata. */
  agent?: string;
  /** The pane's text, read only when the plan's screenWanted asks for it (controllers/worker-pool/agent-screen.ts). */
  screen?: string;
}

export interface CloneFacts {
  exists: boolean;
  /** When the checked-out branch last moved (a commit), from its ref file. */
  headMovedAt?: number;
  verify?: VerifyFacts;
  /** For orphan sessions: whether removing the session could lose work. */
  unsafe?: string;
}

export interface PoolObserved {
  now: number;
  issues: Issue[];
  ready: Issue[];
  records: WorkerRecord[];
  signals: Record<string, DoneSignal>;
  sessions: SessionView[];
  clones: Record<string, CloneFacts>;
  /** Names of directories under polecats/ (a name in use even without a record). */
  polecatDirs: string[];
  /** Of those, the temporaries of clones cut short (`<name>.gt-partial-<pid>-<random>`): nobody clones into them now (the pool's key lock). */
  partialClones?: string[];
  /** Of those, the ones holding nothing but a mail inbox (a released polecat's): reusable. */
  reusableDirs: string[];
  /** Swarm name by task issue id, from the issues' external_ref (gt-swarm:<swarm>/<task>). */
  swarmOf: Record<string, string>;
  /** Per swarm: its maxParallel, or 'suspended' (also while it is being deleted, and once it is gone). */
  swarmLimits: Record<string, number | 'suspended'>;
  pool: PoolState;
  /** Plugins with the onWorkerStuck hook for this rig, and their answers in the witness's inbox. */
  stuckPlugins: HookPlugin[];
  stuckVerdicts: Record<string, Verdict>;
  /** The onWorkerStuck questions each of those plugins was asked, oldest first. */
  stuckAsked: Record<string, HookQuestion[]>;
  /** Polecats that asked for a fresh session (gt handoff), with the handoff mail's id. */
  handoffs: Record<string, string>;
  /** The remote's default branch as the rig's refinery clone recorded it (undefined before that clone exists). */
  remoteHead: string | undefined;
  /** The rig's refinery clone exists: a polecat's clone of a remote (or branch) the rig could not clone would only fail. */
  refineryCloned: boolean;
  /** The town's gt shim exists (agents call gt through it): the town controller renders it. */
  contractReady: boolean;
  /** Set when the rig's issues cannot be reached (a bd database and no bd): nothing else was observed. */
  /** `waiting`: something gt makes by itself comes first (a note, looked at again soon), not a person's job (a finding). */
  trackerUnavailable?: { code: string; message: string; waiting?: boolean };
  /** Issues with a merge request in the rig's queue (or being merged): the refinery's now, no polecat's. Undefined: not observed. */
  queuedIssues?: string[];
  /** The machine's MemAvailable in MiB (/proc/meminfo), for workers.memoryPerWorker. */
  memAvailableMiB?: number;
  /** The Town's memoryReserve in MiB (its default when no Town is stored), beside memAvailableMiB. */
  memReserveMiB?: number;
  /** Whether the polecats' agent command can be started (checked once the town layout is ready). */
  agentCommand?: CommandCheck;
}
