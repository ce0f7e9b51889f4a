import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { townPaths } from '../town/layout.js';

/**
 * The bundled demo, in a fresh temp directory: a toy remote repository with tests, the town of
 * manifests/ (a rig and a swarm of five tasks in three waves), then the real `gt run` loop until
 * the swarm is complete and every branch is merged into the remote's main.
 * Everything goes through the gt CLI, as a person would use it.
 */
const pkg = packageRoot();
// The bundled CLI, as installed on PATH (package.json's `bin`).
const gtBin = path.join(pkg, 'dist', 'bundle', 'main.js');
const work = await mkdtemp(path.join(os.tmpdir(), 'gastown-demo-'));
const remote = path.join(work, '.demo', 'remote', 'toy.git');
const town = path.join(work, '.demo', 'town');
const env = { ...process.env, GT_TOWN: '' };

// Ctrl-C (or SIGTERM) ends the demo whole: its loop, and every agent session of its town.
let loop: ChildProcess | undefined;
let interrupted = false;
const interrupt = (signal: NodeJS.Signals) => {
  if (interrupted) return;
  interrupted = true;
  process.stdout.write(`\ndemo: ${signal}: ending the demo town's loop and agent sessions\n`);
  loop?.kill('SIGTERM');
  if (existsSync(townPaths(town).gtDir)) spawnSync(process.execPath, [gtBin, 'stop', '--now', '--town', town], { env, stdio: 'inherit' });
  process.stdout.write(`demo: stopped; nothing of it runs now. Its files are in ${work} (rm -rf ${work} removes them)\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

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
gt(['get', 'swarm', 'calculator', '--town', town]);

step('The loop: gt run works the swarm wave by wave; the refinery merges each verified branch');
process.stdout.write(
  '(the scripted demo agent stands in for a coding agent; subtract and multiply both edit calc.js,\n so the second to merge conflicts, goes back to its polecat, is redone on top of main and merged)\n',
);
// The loop serves the dashboard too, on a free port of 127.0.0.1 (two demos at once must not
// collide); GT_DEMO_LISTEN picks an address.
const listen = process.env.GT_DEMO_LISTEN ?? '127.0.0.1:0';
const gtRun = spawn(process.execPath, [gtBin, 'run', '--town', town, '--listen', listen], { cwd: work, env, stdio: ['ignore', 'pipe', 'inherit'] });
loop = gtRun;
gtRun.stdout.on('data', (d: Buffer) => {
  const text = d.toString();
  process.stdout.write(text);
  const url = /gt dashboard: (http:\/\/\S+)/.exec(text)?.[1];
  if (url) process.stdout.write(`\ndemo: watch it live in a browser: ${url}  (curl ${url}metrics)\n\n`);
});
const deadline = Date.now() + 240_000;
let lastWave = '';
for (;;) {
  await new Promise((r) => setTimeout(r, 500));
  const status = JSON.parse(spawnSync(process.execPath, [gtBin, 'status', '--town', town, '-o', 'json'], { env, encoding: 'utf8' }).stdout) as {
    rigs: { workers: unknown[] }[];
    swarms: { progress: { complete: boolean; currentWave: number | null; waves: number; ready: string[]; percent: number } | null }[];
  };
  const p = status.swarms[0]?.progress;
  const wave = p ? (p.complete ? 'complete' : p.currentWave === null ? `every task closed, last merges pending` : `wave ${p.currentWave} of ${p.waves} (${p.percent}% done)`) : '';
  if (wave && wave !== lastWave) {
    process.stdout.write(`demo: swarm calculator: ${wave}\n`);
    lastWave = wave;
  }
  if (p?.complete && status.rigs[0]?.workers.length === 0) break;
  if (Date.now() > deadline || gtRun.exitCode !== null) {
    process.stderr.write(gtRun.exitCode !== null ? `demo: gt run exited with ${gtRun.exitCode} (its error is above)\n` : 'demo: the swarm was not complete in 4 minutes\n');
    gtRun.kill('SIGTERM');
    // Nothing of the demo keeps running: its agent sessions end with it.
    spawnSync(process.execPath, [gtBin, 'stop', '--now', '--town', town], { env, stdio: 'inherit' });
    process.exit(1);
  }
}
if (process.env.GT_DEMO_KEEP === '1') {
  // The swarm is done in seconds: this keeps the loop and its dashboard up to look around.
  process.stdout.write('demo: the swarm is complete; the dashboard stays up until Ctrl-C (GT_DEMO_KEEP=1)\n');
  process.off('SIGINT', interrupt);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
}
gtRun.kill('SIGTERM');
await new Promise((r) => gtRun.once('exit', r));

step('The swarm is complete: every task merged into the remote main, whose tests pass');
gt(['get', 'swarm', 'calculator', '--town', town]);
const check = path.join(work, 'check');
execFileSync('git', ['clone', '-q', remote, check]);
process.stdout.write(execFileSync('git', ['-C', check, 'log', '--oneline', '--graph', '-n', '14'], { encoding: 'utf8' }));
process.stdout.write(`$ node test.js   (in a fresh clone of the remote main)\n`);
execFileSync(process.execPath, ['test.js'], { cwd: check, stdio: 'inherit' });
process.stdout.write('tests pass\n');
gt(['status', '--town', town]);
gt(['diff', '--town', town]);

step('Stop the town, declaratively: the witness is asked to hand off, then its session ends');
gt(['stop', '--town', town, '--wait', '30s']);
gt(['mail', 'inbox', 'wyvern/witness', '--town', town]);

step('Done');
process.stdout.write(
  `The town is at ${town} (stopped: gt start --town ${town} resumes it, and the witness reads its handoff first)\nLook around: ls ${town}; gt issues list --town ${town}; gt get rig wyvern -o yaml --town ${town}\n(gt on your PATH: npm install -g . in ${pkg})\n`,
);
