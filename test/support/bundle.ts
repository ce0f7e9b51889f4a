import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { GT_BIN, REPO_ROOT } from './town.js';

/** What `npm run build` reads: tsconfig.build.json's sources, the bundler script and the dependency set. */
const INPUTS = ['src', 'controllers', 'bench', 'scripts/bundle.mjs', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time under `p`, directories included (a deleted file changes its directory's). */
function newest(p: string): { file: string; mtimeMs: number } {
  const st = statSync(p);
  let best = { file: p, mtimeMs: st.mtimeMs };
  if (st.isDirectory()) {
    for (const name of readdirSync(p)) {
      const n = newest(path.join(p, name));
      if (n.mtimeMs > best.mtimeMs) best = n;
    }
  }
  return best;
}

/** Why the bundle the CLI tests run is not built from the current sources, or undefined when it is. */
export function bundleStaleness(): string | undefined {
  let built: number;
  try {
    built = statSync(GT_BIN).mtimeMs;
  } catch {
    return `${path.relative(REPO_ROOT, GT_BIN)} does not exist`;
  }
  for (const input of INPUTS) {
    const n = newest(path.join(REPO_ROOT, input));
    if (n.mtimeMs > built) return `${path.relative(REPO_ROOT, n.file)} is newer than ${path.relative(REPO_ROOT, GT_BIN)}`;
  }
  return undefined;
}

/** Builds dist/ (tsc and the bundle) unless the bundle is already fresh: once per test run. */
export function ensureFreshBundle(): void {
  const why = bundleStaleness();
  if (!why) return;
  process.stderr.write(`test setup: building gt (${why})\n`);
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}
