import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Builds what the benchmark measures: a small bare repository and towns of N rigs cloned from it. */

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'gt bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'gt bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

function gitIn(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_IDENTITY }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A bare repository on `main` with a few files and three commits; returns its absolute path. */
export function makeBareRepo(dir: string): string {
  const work = path.join(dir, 'src-repo');
  const bare = path.join(dir, 'remote', 'small.git');
  mkdirSync(work, { recursive: true });
  gitIn(work, ['init', '--quiet', '--initial-branch=main']);
  writeFileSync(path.join(work, 'README.md'), '# small\n\nA repository for the gt benchmark.\n');
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'small', version: '1.0.0', scripts: { test: 'node test.js' } }, null, 2) + '\n');
  gitIn(work, ['add', '-A']);
  gitIn(work, ['commit', '--quiet', '-m', 'initial commit']);
  mkdirSync(path.join(work, 'src'));
  for (let i = 1; i <= 5; i++) writeFileSync(path.join(work, 'src', `mod${i}.js`), `export const value${i} = ${i};\n`);
  writeFileSync(path.join(work, 'test.js'), "console.log('ok');\n");
  gitIn(work, ['add', '-A']);
  gitIn(work, ['commit', '--quiet', '-m', 'add modules and a test']);
  writeFileSync(path.join(work, 'README.md'), '# small\n\nA repository for the gt benchmark.\n\nRun `node test.js`.\n');
  gitIn(work, ['commit', '--quiet', '-am', 'document the test']);
  mkdirSync(path.dirname(bare), { recursive: true });
  gitIn(dir, ['clone', '--quiet', '--bare', work, bare]);
  return bare;
}

export function rigName(i: number): string {
  return `rig-${String(i).padStart(2, '0')}`;
}

/** Writes a Town manifest plus `rigs` Rig manifests (one multi-document file); returns the file. */
export function writeTownManifest(dir: string, name: string, root: string, gitUrl: string, rigs: number): string {
  const docs = [['apiVersion: gastown.dev/v1alpha1', 'kind: Town', 'metadata:', `  name: ${name}`, 'spec:', `  root: ${JSON.stringify(root)}`].join('\n')];
  for (let i = 1; i <= rigs; i++) {
    docs.push(['apiVersion: gastown.dev/v1alpha1', 'kind: Rig', 'metadata:', `  name: ${rigName(i)}`, 'spec:', `  gitUrl: ${JSON.stringify(gitUrl)}`, '  defaultBranch: main'].join('\n'));
  }
  const file = path.join(dir, `${name}.yaml`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, docs.join('\n---\n') + '\n');
  return file;
}

/** `gt apply -f file` (creates the layout and the clones), then checks `gt diff` says in sync. */
export function applyTown(cli: string, file: string, root: string): void {
  const apply = spawnSync(process.execPath, [cli, 'apply', '-f', file], { encoding: 'utf8' });
  if (apply.status !== 0) throw new Error(`gt apply -f ${file} exited ${apply.status}:\n${apply.stdout}${apply.stderr}`);
  const diff = spawnSync(process.execPath, [cli, 'diff', '--town', root], { encoding: 'utf8' });
  if (diff.status !== 0) throw new Error(`gt diff --town ${root} right after apply exited ${diff.status} (expected 0, in sync):\n${diff.stdout}${diff.stderr}`);
}
