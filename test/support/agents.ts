import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PresetName } from '../../src/agents/presets.js';

/** Where scripts/install-agents.sh (run by .ci/run) installs the real agent CLIs. */
export const AGENTS_CACHE = process.env.GT_AGENTS_CACHE ?? path.join(os.homedir(), '.cache', 'gt-agents');
export const AGENTS_BIN = path.join(AGENTS_CACHE, 'node_modules', '.bin');

/**
 * Why tests of the real CLIs cannot run here, or undefined when they can. Only an absent cache is
 * a reason (CI always installs it); a cache without a CLI fails the test that needs it instead.
 */
export function agentsMissing(): string | undefined {
  if (existsSync(AGENTS_BIN)) return undefined;
  const why = `the real agent CLIs are not installed in ${AGENTS_CACHE} (run scripts/install-agents.sh): skipping the tests that run them`;
  console.warn(why);
  return why;
}

export function agentBin(preset: PresetName): string {
  return path.join(AGENTS_BIN, preset);
}
