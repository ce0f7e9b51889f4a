import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../util/package-root.js';

/**
 * The bundled demo, in a fresh temp directory: a toy remote repository, the town of manifests/,
 * a handful of issues, then the real `gt run` loop until every issue is done and verified.
 * Everything goes through the gt CLI, as a person would use it.
 */
const pkg = packageRoot();
const gtBin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const work = await mkdtemp(path.join(os.tmpdir(), 'gastown-demo-'));
const remote = path.join(work, '.demo', 'remote', 'toy.git');
const town = path.join(work, '.demo', 'town');
const env = { ...process.env, GT_TOWN: '' };

function step(title: string): void {
  process.stdout.write(`\n=== ${title}\n`);
}

function gt(args: string[], expect: number[] = [0]): string {
  process.stdout.write(`$ gt ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [gtBin, ...args], { cwd: work, env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status === null || !expect.includes(r.status)) {
    process.stderr.write(`demo: gt ${args[0]} exited with ${r.status}, expected ${expect.join(' or ')}\n`);
    process.exit(1);
  }
  return r.stdout;
}

async function makeToyRemote(): Promise<void> {
  const src = path.join(work, 'toy-src');
  await cp(path.join(pkg, 'examples', 'toy-repo'), src, { recursive: true });
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@gastown.dev', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@gastown.dev' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: src, env: gitEnv, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'toy project');
  await mkdir(path.dirname(remote), { recursive: true });
  git('clone', '-q', '--bare', src, remote);
  await rm(src, { recursive: true, force: true });
}

step(`A toy remote repository and the bundled manifests, in ${work}`);
await cp(path.join(pkg, 'manifests'), path.join(work, 'manifests'), { recursive: true });
await makeToyRemote();

step('What would gt do? (diff exits 1 when there is something to do)');
gt(['diff', '-f', 'manifests/'], [1]);

step('Apply: store the desired state, then one reconcile pass');
gt(['apply', '-f', 'manifests/']);
gt(['diff', '--town', town]);

step('Work for the polecats: five issues in the rig\'s beads database (one waits for another)');
function create(title: string, ...extra: string[]): string {
  const r = spawnSync(process.execPath, [gtBin, 'issues', 'create', title, '--town', town, '-o', 'json', ...extra], { cwd: work, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gt issues create failed: ${r.stderr}`);
  const issue = JSON.parse(r.stdout) as { id: string; title: string };
  process.stdout.write(`$ gt issues create ${JSON.stringify(title)} ${extra.join(' ')}\n  created ${issue.id}\n`);
  return issue.id;
}
const add = create('Add a subtract function', '-p', '1', '-d', 'calc.js should export subtract(a, b).');
create('Document the calculator', '-p', '2', '-d', 'Say in README.md what calc.js offers.');
create('Add a multiply function', '-p', '2');
create('Handle $(rm -rf ~) and `backticks` in titles safely', '-p', '3', '-d', 'A title that would be dangerous in a shell.');
create('Test subtract', '-p', '0', '--blocked-by', add, '-d', 'Waits until subtract exists.');
gt(['issues', 'ready', '--town', town]);

step('The loop: gt run keeps min(max, ready issues) polecats working until all is done');
const loop = spawn(process.execPath, [gtBin, 'run', '--town', town], { cwd: work, env, stdio: ['ignore', 'inherit', 'inherit'] });
const deadline = Date.now() + 180_000;
const closed = new Set<string>();
for (;;) {
  await new Promise((r) => setTimeout(r, 500));
  const status = JSON.parse(spawnSync(process.execPath, [gtBin, 'status', '--town', town, '-o', 'json'], { env, encoding: 'utf8' }).stdout);
  const rig = status.rigs[0];
  const verified = (await readdir(path.join(town, '.gt', 'merge-queue', 'wyvern')).catch(() => [] as string[])).map((f) => f.replace(/\.json$/, ''));
  // The refinery's merge queue is the next slice of gt; until then the demo plays the Overseer
  // and closes verified issues, which unblocks the issue that waits for one of them.
  for (const id of verified.filter((v) => !closed.has(v))) {
    closed.add(id);
    spawnSync(process.execPath, [gtBin, 'issues', 'close', id, '--town', town, '-r', 'verified branch reviewed by the overseer'], { env, stdio: 'ignore' });
    process.stdout.write(`demo (as the overseer): closed ${id}, its branch is verified\n`);
  }
  if (verified.length === 5 && rig.workers.length === 0) break;
  if (Date.now() > deadline || loop.exitCode !== null) {
    process.stderr.write('demo: the issues were not all done in 3 minutes\n');
    loop.kill('SIGTERM');
    process.exit(1);
  }
}
loop.kill('SIGTERM');
await new Promise((r) => loop.once('exit', r));

step('Every issue done, verified and its branch pushed; the slots are free again');
gt(['status', '--town', town]);
process.stdout.write(execFileSync('git', ['-C', remote, 'branch', '--list', 'polecat/*'], { encoding: 'utf8' }));
gt(['diff', '--town', town]);

step('Done');
process.stdout.write(`The town is at ${town}\nLook around: ls ${town}; gt issues list --town ${town}; gt get rig wyvern -o yaml --town ${town}\n`);
