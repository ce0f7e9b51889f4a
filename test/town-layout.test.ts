import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptFile, townPaths, TOWN_FILES } from '../src/town/layout.js';
import { REPO_ROOT } from './support/town.js';

function sources(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    return e.isDirectory() ? sources(rel) : e.name.endsWith('.ts') ? [rel] : [];
  });
}

describe('town paths come from src/town/layout.ts', () => {
  it('no other source file builds a path under .gt/ (a string literal naming it)', () => {
    const files = [...sources('src'), ...sources('controllers')].filter((f) => f !== path.join('src', 'town', 'layout.ts'));
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) =>
      readFileSync(path.join(REPO_ROOT, f), 'utf8')
        .split('\n')
        .map((line, i) => ({ at: `${f}:${i + 1}`, code: line.replace(/\/\/.*$/, '').trim() }))
        .filter(({ code }) => !code.startsWith('*') && !code.startsWith('/*') && /(['"`])\.gt(\1|\/)/.test(code))
        .map(({ at }) => at),
    );
    expect(found).toEqual([]);
  });

  it('the layout the town controller renders and the agents use', () => {
    const p = townPaths('/srv/town');
    expect(p.gtShim).toBe(path.join('/srv/town', TOWN_FILES.gtShim));
    expect(p.binDir).toBe('/srv/town/.gt/bin');
    expect(promptFile('/srv/town', '', 'gt-mayor')).toBe('/srv/town/.gt/prompts/_town/gt-mayor.md');
    expect(promptFile('/srv/town', 'wyvern', 'nux')).toBe('/srv/town/.gt/prompts/wyvern/nux.md');
  });
});
