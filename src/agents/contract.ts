import { createHash } from 'node:crypto';
import type { AgentSpec } from '../generated/manifest-types.js';
import { TerminalError } from '../engine/controller.js';
import { rigBeadsPaths, townPaths, type BeadsLocation } from '../town/layout.js';
import { resolveAgent, type AgentPreset } from './presets.js';

export type AgentRole = 'polecat' | 'witness' | 'refinery' | 'mayor' | 'plugin';

export interface AgentLaunch {
  argv: string[];
  env: Record<string, string>;
  /** The agent preset in effect (src/agents/presets.ts): its instructions file, typing, screens. */
  preset?: AgentPreset;
  /** Hash of what started the session (command, env, instructions): drift is a different fingerprint. */
  fingerprint: string;
}

export interface ContractInput {
  root: string;
  /** The PATH the session gets after the town's bin, unless its agent.env sets one: gt's own (observed, `gtPath`). */
  inheritedPath: string;
  rig: string;
  role: AgentRole;
  address: string;
  cwd: string;
  promptFile: string;
  instructions: string;
  issue?: string;
  branch?: string;
  /** The branch the polecat's work is merged into. */
  baseBranch?: string;
  /** Town, then rig, then object-level agent settings; later ones win field by field. */
  agents: (AgentSpec | undefined)[];
  /** The rig's `beads.location`: BEADS_DIR names the town's `<rig>/.beads` or the refinery clone's. */
  beadsLocation?: BeadsLocation;
}

/** Observation: gt's own PATH, which agent sessions inherit; observe and act read it, plans get it as a fact. */
export function gtPath(): string {
  return process.env.PATH ?? '/usr/bin:/bin';
}

/**
 * The agent contract of DESIGN.md §3: the variables every agent session gets, and its argv with
 * `{promptFile}` filled in. Values from manifests and issues travel only as separate argv
 * elements, environment values and file contents, never through a shell command line.
 */
export function agentLaunch(c: ContractInput): AgentLaunch {
  const { command, env: userEnv, preset } = resolveAgent(c.agents, c.cwd);
  const env: Record<string, string> = {
    ...userEnv,
    GT_TOWN: c.root,
    GT_RIG: c.rig,
    GT_ROLE: c.role,
    GT_AGENT: c.address,
    BEADS_DIR: rigBeadsPaths(c.root, c.rig, c.beadsLocation).dir,
    GT_PROMPT_FILE: c.promptFile,
    PATH: `${townPaths(c.root).binDir}:${userEnv.PATH ?? c.inheritedPath}`,
    ...(c.issue ? { GT_ISSUE: c.issue } : {}),
    ...(c.branch ? { GT_BRANCH: c.branch } : {}),
    ...(c.baseBranch ? { GT_BASE_BRANCH: c.baseBranch } : {}),
  };
  const argv = command.map((a) => a.split('{promptFile}').join(c.promptFile));
  if (argv[0]!.includes('=')) throw new TerminalError(`agent command ${JSON.stringify(argv[0])}: a program name must not contain "="`);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ argv, userEnv, instructions: c.instructions }))
    .digest('hex')
    .slice(0, 16);
  return { argv, env, fingerprint, ...(preset ? { preset } : {}) };
}

export interface IssueText {
  id: string;
  title: string;
  description: string;
}

/** The polecat's full instructions, written to GT_PROMPT_FILE and as its agent's instructions file (CLAUDE.md, AGENTS.md, ...) in its clone. */
export function polecatInstructions(rig: string, name: string, branch: string, issue: IssueText): string {
  return `# You are ${name}, a polecat (worker) in rig ${rig} of a Gas Town

You work on exactly one issue, in this directory: a git clone of the project of your own.

## Your issue: ${issue.id}

### ${issue.title}

${issue.description || '(no description)'}

## How to work

1. Do the work the issue asks for in this clone, on the branch \`${branch}\` (already checked out).
2. Commit it, and push the branch: \`git push origin HEAD:${branch}\`.
3. Leave the working tree clean (no uncommitted changes, no stashes).
4. Say you are done: \`gt done\`. If you cannot finish: \`gt done --status deferred -m "why"\`, or
   \`gt done --status escalated -m "what a person must decide"\`.

Your work is checked before it is handed to the merge queue: a clean tree, no stash, the branch
pushed, at least one commit. If the check fails you get mail and a nudge; your work is kept.

Other commands: \`gt issues show ${issue.id}\`, \`gt mail inbox\`, \`gt mail send ADDRESS -s SUBJECT -m BODY\`
(addresses: mayor, ${rig}/witness, ${rig}/polecats/NAME).
`;
}
