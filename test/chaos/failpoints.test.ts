import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAILPOINTS } from '../../src/util/failpoint.js';
import { gt, REPO_ROOT, tempDir } from '../support/town.js';
import { rm } from 'node:fs/promises';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('failpoints', () => {
  it('the registry names exactly the failpoints the code calls, each at one place', async () => {
    const calls: string[] = [];
    for (const dir of ['src', 'controllers']) {
      for (const file of await sources(path.join(REPO_ROOT, dir))) {
        for (const m of (await readFile(file, 'utf8')).matchAll(/\bfailpoint\('([^']+)'\)/g)) calls.push(m[1]!);
      }
    }
    expect([...calls].sort()).toEqual([...FAILPOINTS].sort());
  });

  it('GT_FAILPOINT=name@N kills gt at the N-th visit, not before', async () => {
    const dir = await tempDir('gt-failpoint-');
    try {
      const town = `apiVersion: gastown.dev/v1alpha1\nkind: Town\nmetadata:\n  name: fp\nspec:\n  root: ${dir}/town\n`;
      // Applying a Town writes several state files: the first visit of state:after-write kills it.
      const first = await gt(['apply', '-f', '-'], { input: town, env: { GT_FAILPOINT: 'state:after-write@1' } });
      expect(first.code).not.toBe(0);
      const later = await gt(['apply', '-f', '-'], { input: town, env: { GT_FAILPOINT: 'state:after-write@1000' } });
      expect(later.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
