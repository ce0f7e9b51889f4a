import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { presetArgv, presetFlags, PRESET_NAMES, preset, resolveAgent } from '../src/agents/presets.js';
import { agentBin, agentsMissing } from './support/agents.js';
import { tempDir } from './support/town.js';

/** Whether `--help` lists `flag` as an option (`-c, --config <key=value>`, `--yolo`, ...). */
function listsFlag(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,])${flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[\\s,=<\\[]|$)`, 'm').test(help);
}

describe.skipIf(agentsMissing())('every flag a preset passes is in the installed CLI --help', () => {
  for (const name of PRESET_NAMES) {
    it(name, async () => {
      // A HOME and TMPDIR of its own: the CLIs write caches there.
      const home = await tempDir('gt-agent-help-');
      const r = spawnSync(agentBin(name), ['--help'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: home, TMPDIR: home, NO_COLOR: '1' } });
      await rm(home, { recursive: true, force: true });
      // opencode prints its help on stderr.
      const help = r.stdout + r.stderr;
      expect(r.status, help).toBe(0);
      const missing = presetFlags(preset(name)).filter((f) => !listsFlag(help, f));
      expect(missing, `${name} --help no longer lists ${missing.join(', ')}`).toEqual([]);
    });
  }
});

describe('the argv a rig gets', () => {
  it('a preset gives the unattended argv, the model and the first prompt naming the prompt file', () => {
    const r = resolveAgent([{ preset: 'codex' }, { model: 'gpt-5' }], '/town/r/polecats/a');
    expect(r.preset?.name).toBe('codex');
    expect(r.command).toEqual([
      'codex',
      '--dangerously-bypass-approvals-and-sandbox',
      '-c',
      'projects={"/town/r/polecats/a"={trust_level="trusted"}}',
      '--model',
      'gpt-5',
      'Your instructions are in {promptFile}. Read that file first and follow it.',
    ]);
  });

  it('a command overrides a preset at its own level, and a more specific preset overrides a town command', () => {
    expect(resolveAgent([{ preset: 'claude', command: ['my-claude'] }], '/x')).toMatchObject({ command: ['my-claude'], preset: { name: 'claude' } });
    expect(resolveAgent([{ command: ['wrapper'] }, { preset: 'gemini' }], '/x').command[0]).toBe('gemini');
    expect(resolveAgent([{ preset: 'gemini' }, { command: ['wrapper'] }], '/x')).toMatchObject({ command: ['wrapper'], preset: { name: 'gemini' } });
  });

  it('a plain command keeps working and has no preset; neither gives the claude preset', () => {
    expect(resolveAgent([{ command: ['node', 'agent.mjs'] }], '/x')).toEqual({ command: ['node', 'agent.mjs'], env: {} });
    expect(resolveAgent([undefined, {}], '/x').command).toEqual(presetArgv(preset('claude'), '/x', undefined));
  });

  it('gt never sets IS_SANDBOX: it is in the env only when the Overseer put it there', () => {
    expect(resolveAgent([{ preset: 'claude' }], '/x').env).toEqual({});
    expect(resolveAgent([{ preset: 'claude', env: { IS_SANDBOX: '1' } }], '/x').env).toEqual({ IS_SANDBOX: '1' });
  });
});
