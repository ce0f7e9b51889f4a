import type { PresetName } from './presets.js';

/**
 * What an agent's screen can say that means it cannot work, whatever gt types into it. Each is a
 * finding code of its own (gt status, gt doctor GT-AGENT-CONDITION), escalated once, and neither
 * stuck (no nudges into an error screen) nor a crash.
 */
/** After a session starts, its screen is read at these ages (the plan comes back then): start-up screens show within seconds. */
export const SCREEN_CHECKS_MS = [3_000, 8_000, 20_000, 45_000];
/** Lines of scrollback read with the screen: what a dead pane printed last can sit above its visible part. */
export const SCREEN_SCROLLBACK = 200;
/** A dead pane whose screen explains it (offline, no login) is started again this long after, not counted as a crash. */
export const AGENT_RETRY_MS = 5 * 60_000;

export type AgentConditionCode = 'AgentOffline' | 'AgentNeedsLogin' | 'AgentWaitingAtDialog' | 'AgentRefusesRoot';

interface ConditionKind {
  /** Every polecat of the rig would show it: dispatch holds until it clears or the spec changes. */
  rigWide: boolean;
  what: string;
  fix: (preset: PresetName) => string;
}

export const CONDITIONS: Record<AgentConditionCode, ConditionKind> = {
  AgentOffline: {
    rigWide: true,
    what: 'cannot reach its service',
    fix: () => "give the machine a route to the agent's service (network, proxy); gt looks again and restarts the agent, nothing is counted as a crash",
  },
  AgentNeedsLogin: {
    rigWide: true,
    what: 'needs a login or an API key',
    fix: (p) => `log in once as the user gt runs as (${LOGIN[p]}), or put the API key in agent.env; then gt apply (or wait: gt looks again)`,
  },
  AgentWaitingAtDialog: {
    rigWide: false,
    what: 'waits at a dialog for a person',
    fix: (p) => `attach to the session and answer it once (gt passes the flags that skip it: README, Running real agents, ${p})`,
  },
  AgentRefusesRoot: {
    rigWide: true,
    what: 'refuses to run unattended as root',
    fix: () => "run gt as a user other than root, or, on a disposable machine only, set IS_SANDBOX=1 in agent.env (that is the Overseer's choice: gt never sets it); then gt apply",
  },
};

const LOGIN: Record<PresetName, string> = {
  claude: 'claude, then /login; or ANTHROPIC_API_KEY',
  codex: 'codex login, or printenv OPENAI_API_KEY | codex login --with-api-key',
  gemini: 'gemini, then choose how to authenticate; or GEMINI_API_KEY with "Use Gemini API Key"',
  opencode: 'opencode auth login',
};

/**
 * The texts the real CLIs drew, recorded in test/fixtures/agent-screens/<preset>/ with their
 * versions. A screen state not listed there is not recognised (README: Running real agents).
 */
const SIGNATURES: Record<PresetName, { code: AgentConditionCode; text: string }[]> = {
  claude: [
    { code: 'AgentRefusesRoot', text: 'cannot be used with root/sudo privileges for security reasons' },
    { code: 'AgentOffline', text: 'Unable to connect to Anthropic services' },
  ],
  codex: [
    { code: 'AgentNeedsLogin', text: 'Sign in with ChatGPT' },
    { code: 'AgentWaitingAtDialog', text: 'Trust this folder?' },
    { code: 'AgentOffline', text: 'Reconnecting... waiting for network' },
    { code: 'AgentOffline', text: 'Connection failed: error sending request' },
  ],
  gemini: [
    { code: 'AgentNeedsLogin', text: 'How would you like to authenticate for this project?' },
    { code: 'AgentWaitingAtDialog', text: 'Do you trust the files in this folder?' },
  ],
  opencode: [{ code: 'AgentOffline', text: 'Cannot connect to API' }],
};

export interface ScreenCondition {
  code: AgentConditionCode;
  /** The line of the screen that matched, as evidence. */
  line: string;
}

/** Pure: the condition the screen shows, if any (the first signature of the preset's list that matches). */
export function recogniseScreen(preset: PresetName, screen: string): ScreenCondition | undefined {
  for (const s of SIGNATURES[preset]) {
    const line = screen.split('\n').find((l) => l.includes(s.text));
    if (line !== undefined) return { code: s.code, line: line.trim() };
  }
  return undefined;
}

/** The finding's text: who, what the screen says, what it means and the fix. */
export function conditionMessage(who: string, preset: PresetName, c: ScreenCondition): string {
  const k = CONDITIONS[c.code];
  const held = k.rigWide ? '; no new polecat starts in this rig until it clears or the spec changes' : '';
  return `${who} (${preset}) ${k.what}: its screen says "${c.line}"${held}; not nudged, not counted as a crash. Fix: ${k.fix(preset)}`;
}

export function isConditionCode(code: string): code is AgentConditionCode {
  return Object.hasOwn(CONDITIONS, code);
}

/** A condition finding's message split into what is wrong and the fix (gt doctor shows them apart). */
export function splitFix(message: string): { message: string; fix: string } {
  const at = message.lastIndexOf('. Fix: ');
  return at < 0 ? { message, fix: 'see README, Running real agents' } : { message: message.slice(0, at), fix: message.slice(at + '. Fix: '.length) };
}
