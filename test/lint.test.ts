import { ESLint } from 'eslint';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/town.js';

// `npm test` is what CI runs: ESLint (eslint.config.js, `npm run lint:eslint`) and Prettier's
// check (.prettierrc.json, `npm run lint`) run in it.
describe('ESLint', () => {
  // Type-aware rules over the whole code base take a minute on a busy 2-core machine without the cache.
  it('finds no problem in the code base', { timeout: 300_000 }, async () => {
    const eslint = new ESLint({
      cwd: REPO_ROOT,
      // Unchanged files are not linted again. A file is judged with the types of its imports as
      // they were when it was cached: CI, starting without the cache, lints every file.
      cache: true,
      cacheStrategy: 'content',
      cacheLocation: path.join(REPO_ROOT, 'node_modules', '.cache', 'eslint', 'lint.test.cache'),
    });
    const results = await eslint.lintFiles(['.']);
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.relative(REPO_ROOT, r.filePath)}:${m.line}:${m.column} ${m.message} (${m.ruleId ?? 'parse'})`));
    expect(problems, 'npx eslint . names the same problems').toEqual([]);
  });
});

describe('Prettier', () => {
  it('finds every tracked file formatted', { timeout: 120_000 }, async () => {
    const files = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    const unformatted: string[] = [];
    for (const rel of files) {
      const file = path.join(REPO_ROOT, rel);
      const info = await prettier.getFileInfo(file, { ignorePath: path.join(REPO_ROOT, '.prettierignore') });
      if (info.ignored || !info.inferredParser) continue;
      const options = { ...(await prettier.resolveConfig(file)), filepath: file };
      if (!(await prettier.check(await readFile(file, 'utf8'), options))) unformatted.push(rel);
    }
    expect(unformatted, 'npx prettier --write FILE formats them').toEqual([]);
  });
});
