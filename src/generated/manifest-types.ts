// Generated from schemas/*.schema.json by scripts/gen-types.mjs. Do not edit.

export interface Town {
  apiVersion: 'gastown.dev/v1alpha1';
  kind: 'Town';
  metadata: ObjectMeta;
  spec: TownSpec;
  /**
   * Written by controllers; ignored on apply.
   */
  status?: {};
}

export interface ObjectMeta {
  /**
   * Lowercase DNS label: letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.
   */
  name: string;
  /**
   * Free-form key/value labels for people and selectors.
   */
  labels?: {
    [k: string]: string;
  };
}

export interface TownSpec {
  /**
   * The town's directory. A relative path is taken from the manifest file's directory; '~' is the home directory.
   */
  root: string;
  tmux: TmuxSpec;
  agent?: AgentSpec;
  /**
   * Memory kept free for the rest of the machine: a polecat starts only when MemAvailable minus this is at least its rig's workers.memoryPerWorker.
   */
  memoryReserve: string;
  mayor: SessionSpec;
  /**
   * How often the loop re-reconciles everything though nothing announced a change (watched files, tmux hooks and the plans' own timers announce everything gt knows to watch): a safety net for changes made by hand.
   */
  resync: string;
  escalation: EscalationSpec;
  beads: TownBeadsSpec;
  /**
   * Stop the whole town (gt stop): no dispatch in any rig, agent sessions end after a handoff; gt start clears it.
   */
  suspend: boolean;
}

export interface TmuxSpec {
  /**
   * The town's private tmux server: an absolute socket path (tmux -S) or a socket name (tmux -L, under $TMUX_TMPDIR/tmux-UID/, so each OS user gets a server of their own). Defaults to <town root>/.gt/tmux.sock, one server for the town whichever user runs gt; when that path is longer than a unix socket path may be (107 bytes), /tmp/gt-tmux-<hash>/tmux.sock, where <hash> is 12 hex digits derived from the town root's path and the directory is created by the town's owner with mode 0700.
   */
  socket?: string;
}

export interface AgentSpec {
  /**
   * A real coding agent gt knows how to run unattended: its argv (the flag that lets it work without asking, the first prompt, agent.model), the file it reads standing instructions from, how to type into it and which screens mean it cannot work (README: Running real agents). A command, when also set, replaces the preset's argv.
   */
  preset?: 'claude' | 'codex' | 'gemini' | 'opencode';
  /**
   * Model passed with the preset's model flag (ignored with a command: put the model in the command).
   */
  model?: string;
  /**
   * argv of the agent; '{promptFile}' in an argument is replaced by the path of the prompt file.
   *
   * @minItems 1
   */
  command?: [string, ...string[]];
  /**
   * Extra environment variables for the agent session.
   */
  env?: {
    [k: string]: string;
  };
}

export interface SessionSpec {
  /**
   * Keep this agent's session running.
   */
  enabled: boolean;
  agent?: AgentSpec;
  /**
   * Extra instructions appended to the role's built-in ones (the session's CLAUDE.md).
   */
  instructions?: string;
  /**
   * The session counts as idle (safe to cycle: never mid-turn) after this long without pane output.
   */
  idleAfter: string;
  /**
   * How long a session being stopped is given to hand off (gt handoff) before gt writes the handoff note itself and ends it at its next idle point.
   */
  handoffTimeout: string;
  /**
   * Wait before restarting a session that died; doubles with each crash in the window.
   */
  restartBackoff: string;
  /**
   * Restarts in an unbroken chain of crashes (each within 10 minutes of the one before) after which the next crash leaves the session stopped and escalated (crash loop).
   */
  maxRestarts: number;
}

export interface EscalationSpec {
  /**
   * Mail address that receives escalations.
   */
  target: string;
}

export interface TownBeadsSpec {
  /**
   * Issue-tracker backend: auto uses the bd CLI where the rig's .beads holds a bd database (embeddeddolt/, dolt/ with a dolt sql-server, or a legacy SQLite *.db) and refuses with BeadsBdNotOnPath when bd is not on PATH; elsewhere the embedded JSONL backend.
   */
  backend: 'auto' | 'jsonl' | 'bd';
}

export interface Rig {
  apiVersion: 'gastown.dev/v1alpha1';
  kind: 'Rig';
  metadata: ObjectMeta;
  spec: RigSpec;
  /**
   * Written by controllers; ignored on apply.
   */
  status?: {};
}

export interface RigSpec {
  /**
   * The project's repository: a URL, or a local path (relative paths are taken from the manifest file's directory).
   */
  gitUrl: string;
  /**
   * The branch polecats start from and the merge queue merges into. Default: the remote's default branch (its HEAD), as git clone picks it.
   */
  defaultBranch?: string;
  beads: RigBeadsSpec;
  workers: WorkersSpec;
  agent?: AgentSpec;
  mergeQueue: MergeQueueSpec;
  witness: SessionSpec;
  refinery: SessionSpec1;
  /**
   * Stop dispatching new work; running work finishes.
   */
  suspend: boolean;
}

export interface RigBeadsSpec {
  /**
   * Issue id prefix (ids look like <prefix>-<hash>). Defaults to the rig's name (with location repository: the issue-prefix of the repository's .beads/config.yaml, else the rig's name).
   */
  prefix?: string;
  /**
   * Where the rig's issues live. town (the default): <root>/<rig>/.beads, gt's own tracker. repository: the project's own .beads/ on its default branch, read in the refinery clone; every change gt makes (a claim, a close, a new issue, a comment) is a commit pushed to that branch, retried on top of it when the branch moved; where that .beads holds a bd database, gt goes through bd instead and commits nothing. Left out, gt doctor points out a repository that carries beads of its own (GT-BEADS-REPO-UNUSED); town said explicitly keeps it quiet.
   */
  location?: 'town' | 'repository';
}

export interface WorkersSpec {
  /**
   * max_workers: polecats working at once.
   */
  max: number;
  /**
   * Pause between two session starts.
   */
  spawnDelay: string;
  /**
   * Polecat names to use, in order; a built-in pool when empty.
   */
  names?: string[];
  /**
   * No pane output and no commits for this long means stuck.
   */
  stuckAfter: string;
  /**
   * Nudges before a stuck worker is escalated.
   */
  maxNudges: number;
  /**
   * First delay before restarting a worker whose session died; doubles with each further crash (at most 5m).
   */
  restartBackoff: string;
  /**
   * Restarts in an unbroken chain (each within 10 minutes of the one before: no run in between lasted 10 minutes) before the worker is stopped and escalated as crash-looping.
   */
  maxRestarts: number;
  /**
   * Restarts of one polecat's session on one issue, however far apart, before the worker is stopped and escalated as crash-looping.
   */
  restartBudget: number;
  /**
   * Consecutive spawns whose session dies within seconds before the rig's circuit breaker stops all dispatch.
   */
  breakerThreshold: number;
  /**
   * Memory one polecat's agent needs; no polecat starts while the machine's available memory (MemAvailable in /proc/meminfo) minus the Town's memoryReserve is below it. Defaults to the agent preset's figure (README: Running real agents), none without a preset.
   */
  memoryPerWorker?: string;
}

export interface MergeQueueSpec {
  /**
   * How a branch is brought onto the target.
   */
  strategy: 'ff-only' | 'merge' | 'squash' | 'rebase';
  /**
   * argv run in the refinery clone before a merge is pushed; empty means no tests.
   */
  testCommand: string[];
  /**
   * A duration such as 500ms, 5s, 10m or 2h.
   */
  testTimeout: string;
  /**
   * Branch merged into; defaults to defaultBranch.
   */
  target?: string;
  /**
   * refinery: through the merge queue; direct: merged as soon as verified.
   */
  land: 'refinery' | 'direct';
  /**
   * Merge rejections (conflict, red tests, an unfetchable head) one issue may have before it is set blocked, its polecat released and the Overseer escalated; reopening the issue (or gt issues retry) gives it a fresh budget.
   */
  maxAttempts: number;
}

export interface SessionSpec1 {
  /**
   * Keep this agent's session running.
   */
  enabled: boolean;
  agent?: AgentSpec;
  /**
   * Extra instructions appended to the role's built-in ones (the session's CLAUDE.md).
   */
  instructions?: string;
  /**
   * The session counts as idle (safe to cycle: never mid-turn) after this long without pane output.
   */
  idleAfter: string;
  /**
   * How long a session being stopped is given to hand off (gt handoff) before gt writes the handoff note itself and ends it at its next idle point.
   */
  handoffTimeout: string;
  /**
   * Wait before restarting a session that died; doubles with each crash in the window.
   */
  restartBackoff: string;
  /**
   * Restarts in an unbroken chain of crashes (each within 10 minutes of the one before) after which the next crash leaves the session stopped and escalated (crash loop).
   */
  maxRestarts: number;
}

export interface Swarm {
  apiVersion: 'gastown.dev/v1alpha1';
  kind: 'Swarm';
  metadata: ObjectMeta;
  spec: SwarmSpec;
  /**
   * Written by controllers; ignored on apply.
   */
  status?: {};
}

export interface SwarmSpec {
  /**
   * Name of the Rig that works this swarm.
   */
  rig: string;
  title: string;
  /**
   * @minItems 1
   */
  tasks: [SwarmTask, ...SwarmTask[]];
  /**
   * Tasks of this swarm worked at once (within the rig's max).
   */
  maxParallel?: number;
  suspend: boolean;
}

export interface SwarmTask {
  /**
   * Stable id of the task within the swarm.
   */
  id: string;
  title: string;
  description: string;
  /**
   * 0 (highest) to 4.
   */
  priority: number;
  /**
   * Ids of tasks that must close first.
   */
  dependsOn: string[];
}

export interface Plugin {
  apiVersion: 'gastown.dev/v1alpha1';
  kind: 'Plugin';
  metadata: ObjectMeta;
  spec: PluginSpec;
  /**
   * Written by controllers; ignored on apply.
   */
  status?: {};
}

export interface PluginSpec {
  /**
   * The Rig this plugin serves; town-wide when absent.
   */
  rig?: string;
  /**
   * Written as the plugin's CLAUDE.md.
   */
  instructions: string;
  /**
   * @minItems 1
   */
  hooks: [
    'beforeMerge' | 'beforeDispatch' | 'onWorkerStuck' | 'onReadyToMerge',
    ...('beforeMerge' | 'beforeDispatch' | 'onWorkerStuck' | 'onReadyToMerge')[]
  ];
  /**
   * How long a hook waits for the plugin's verdict.
   */
  timeout: string;
  /**
   * Verdict taken when the plugin does not answer in time.
   */
  defaultVerdict: 'proceed' | 'escalate';
  agent?: AgentSpec;
  session: SessionSpec;
  /**
   * Stop the plugin's session (after a handoff); its hooks then take their default verdict at the timeout.
   */
  suspend: boolean;
}
