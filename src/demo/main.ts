import { spawnSync, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../util/package-root.js';

/**
 * The bundled demo: builds a toy remote repository, then drives the real gt CLI through the
 * declarative cycle on manifests/: plan, apply, in sync, drift, repair.
 */
const root = packageRoot();
const gtBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const demoDir = path.join(root, '.demo');
const remote = path.join(demoDir, 'remote', 'toy.git');
const town = path.join(demoDir, 'town');

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

function gt(args: string[], expect: number[] = [0]): void {
  process.stdout.write(`$ gt ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [gtBin, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, GT_TOWN: '' } });
  if (r.status === null || !expect.includes(r.status)) {
    process.stderr.write(`demo: gt ${args[0]} exited with ${r.status}, expected ${expect.join(' or ')}\n`);
    process.exit(1);
  }
}

async function makeToyRemote(): Promise<void> {
  if (existsSync(remote)) return;
  const work = await mkdtemp(path.join(os.tmpdir(), 'gt-demo-toy-'));
  try {
    await cp(path.join(root, 'examples', 'toy-repo'), work, { recursive: true });
    const env = { ...process.env, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@gastown.dev', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@gastown.dev' };
    const git = (...args: string[]) => execFileSync('git', args, { cwd: work, env, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'toy project');
    await mkdir(path.dirname(remote), { recursive: true });
    git('clone', '-q', '--bare', work, remote);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

step(`A toy remote repository at ${path.relative(root, remote)}`);
await makeToyRemote();
process.stdout.write('ready\n');

step('What would gt do? (diff exits 1 when there is something to do)');
gt(['diff', '-f', 'manifests/'], [0, 1]);

step('Apply the manifests: store the desired state, then reconcile once');
gt(['apply', '-f', 'manifests/']);

step('Nothing left to do');
gt(['diff', '--town', town]);

step('Drift: someone deletes the mayor clone and edits the rig config');
await rm(path.join(town, 'wyvern', 'mayor', 'rig'), { recursive: true, force: true });
await writeFile(path.join(town, 'wyvern', 'config.json'), '{}\n');
gt(['diff', '--town', town], [1]);

step('One reconcile pass repairs it');
gt(['run', '--once', '--town', town]);
gt(['diff', '--town', town]);
gt(['get', '--town', town]);

step('Done');
process.stdout.write(`The town is at ${town}\nLook around: ls ${town}, cat ${path.join(town, 'config', 'rigs.json')}, gt get rig wyvern -o yaml --town ${town}\n`);
