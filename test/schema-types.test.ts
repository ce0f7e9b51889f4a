import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './support/town.js';

describe('schemas are the single source of truth', () => {
  it('src/generated/manifest-types.ts is exactly what scripts/gen-types.mjs derives from schemas/', () => {
    const run = () => execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'gen-types.mjs'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' });
    expect(run).not.toThrow();
  });
});
