import type { AgentSpec } from '../generated/manifest-types.js';

export type PresetName = NonNullable<AgentSpec['preset']>;

/**
 * How gt runs one real coding agent unattended. Every flag here is checked against the installed
 * CLI's own --help by test/agent-presets.test.ts (versions pinned in scripts/install-agents.sh),
 * so a CLI release that renames one fails CI instead of a user's polecats.
 */
export interface AgentPreset {
  name: PresetName;
  /** The program, found on the session's PATH. */
  program: string;
  /** The npm package it installs from (README: Running real agents). */
  npmPackage: string;
  /** Flags that let it work without asking (and skip dialogs that would wait for a person). `cwd`: the session's directory. */
  unattended: (cwd: string) => string[];
  /** The argv elements that give it its first prompt. */
  firstPrompt: (text: string) => string[];
  /** The flag that names the model (agent.model). */
  modelFlag: string;
  /** The file in its working directory it reads standing instructions from: gt writes the role's instructions there. */
  instructionsFile: string;
  /** Pause between the typed text and Enter: TUIs that detect a paste swallow an Enter that arrives with it. */
  enterDelayMs: number;
  /** Memory one session needs (workers.memoryPerWorker's default), in MiB. */
  memoryMiB: number;
}

/** The one first prompt: it only names the prompt file, never its text (tmux's command limit, quoting). */
export const FIRST_PROMPT = 'Your instructions are in {promptFile}. Read that file first and follow it.';

const PRESETS: Record<PresetName, AgentPreset> = {
  claude: {
    name: 'claude',
    program: 'claude',
    npmPackage: '@anthropic-ai/claude-code',
    // As root Claude Code refuses this flag unless IS_SANDBOX=1 (the Overseer's choice, in agent.env).
    unattended: () => ['--dangerously-skip-permissions'],
    firstPrompt: (text) => [text],
    modelFlag: '--model',
    instructionsFile: 'CLAUDE.md',
    enterDelayMs: 300,
    memoryMiB: 600,
  },
  codex: {
    name: 'codex',
    program: 'codex',
    npmPackage: '@openai/codex',
    // Without the trust entry Codex stops at "Trust this folder?" even with the bypass flag.
    unattended: (cwd) => ['--dangerously-bypass-approvals-and-sandbox', '-c', `projects={${JSON.stringify(cwd)}={trust_level="trusted"}}`],
    firstPrompt: (text) => [text],
    modelFlag: '--model',
    instructionsFile: 'AGENTS.md',
    enterDelayMs: 300,
    memoryMiB: 300,
  },
  gemini: {
    name: 'gemini',
    program: 'gemini',
    npmPackage: '@google/gemini-cli',
    // --skip-trust: otherwise it waits at "Do you trust the files in this folder?".
    unattended: () => ['--yolo', '--skip-trust'],
    // -i runs the prompt and stays interactive (-p would answer once and exit).
    firstPrompt: (text) => ['--prompt-interactive', text],
    modelFlag: '--model',
    instructionsFile: 'GEMINI.md',
    enterDelayMs: 300,
    memoryMiB: 500,
  },
  opencode: {
    name: 'opencode',
    program: 'opencode',
    npmPackage: 'opencode-ai',
    unattended: () => ['--auto'],
    firstPrompt: (text) => ['--prompt', text],
    modelFlag: '--model',
    instructionsFile: 'AGENTS.md',
    enterDelayMs: 300,
    memoryMiB: 500,
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function preset(name: PresetName): AgentPreset {
  return PRESETS[name];
}

/** What the layered agent specs (town, rig, object; later ones win) amount to. */
export interface ResolvedAgent {
  /** The preset in effect (the most specific one named), if any. */
  preset?: AgentPreset;
  /** argv with `{promptFile}` still in it. */
  command: string[];
  env: Record<string, string>;
}

/**
 * The most specific spec that names a command or a preset decides the argv: its command if it
 * has one (a command overrides a preset at its own level), else the preset's unattended argv.
 * With neither anywhere, the claude preset: the default must work without a person at each prompt.
 */
export function resolveAgent(agents: (AgentSpec | undefined)[], cwd: string): ResolvedAgent {
  const env = Object.assign({}, ...agents.map((a) => a?.env ?? {})) as Record<string, string>;
  const named = [...agents].reverse().find((a) => a?.preset)?.preset;
  const model = [...agents].reverse().find((a) => a?.model)?.model;
  const decides = [...agents].reverse().find((a) => a?.command || a?.preset);
  if (decides?.command) return { ...(named ? { preset: PRESETS[named] } : {}), command: decides.command, env };
  const p = PRESETS[named ?? 'claude'];
  return { preset: p, command: presetArgv(p, cwd, model), env };
}

export function presetArgv(p: AgentPreset, cwd: string, model: string | undefined): string[] {
  return [p.program, ...p.unattended(cwd), ...(model ? [p.modelFlag, model] : []), ...p.firstPrompt(FIRST_PROMPT)];
}

/** Every flag a preset passes (for the --help check): the elements of its argv that start with "-". */
export function presetFlags(p: AgentPreset): string[] {
  return presetArgv(p, '/tmp', 'some-model').filter((a) => a.startsWith('-'));
}

/** Where the agent of these specs reads its standing instructions; CLAUDE.md for a plain command. */
export function instructionsFile(agents: (AgentSpec | undefined)[], cwd: string): string {
  return resolveAgent(agents, cwd).preset?.instructionsFile ?? 'CLAUDE.md';
}
