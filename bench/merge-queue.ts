import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { JsonlTracker } from '../src/beads/jsonl.js';
import { workKeyOf } from '../src/engine/reconciler.js';
import { MergeQueueStore } from '../src/refinery/requests.js';
import { TownSession } from '../src/town/session.js';
import { measureCpu } from './cpu.js';
import { pct } from './stats.js';

const BRANCHES = Number(process.env.GT_BENCH_MERGES ?? 50);
const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bundle', 'main.js');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' });
}

/**
 * Merge-queue throughput: BRANCHES small non-conflicting branches, each merged by the rig's
 * strategy, tested (`node test.js`) and pushed, one at a time, in process (no CLI start-up), with
 * the spawner that `gt run` uses (GT_SPAWNER=0: without it, every program forked by gt itself).
 * CPU is split into gt's own (this process: JavaScript, starting programs; and the spawner) and
 * the programs' (git, the test command).
 */
export async function benchMergeQueue(): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gt-bench-mq-'));
  try {
    const seed = path.join(dir, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(seed, 'test.js'), "console.log('1 passed, 0 failed');\n");
    writeFileSync(path.join(seed, 'package.json'), '{"type":"module"}\n');
    git(seed, 'add', '.');
    git(seed, 'commit', '-q', '-m', 'seed');
    const bare = path.join(dir, 'remote.git');
    git(dir, 'clone', '-q', '--bare', seed, bare);
    const root = path.join(dir, 'town');
    writeFileSync(
      path.join(dir, 'town.yaml'),
      `apiVersion: gastown.dev/v1alpha1\nkind: Town\nmetadata:\n  name: mqbench\nspec:\n  root: ${root}\n---\napiVersion: gastown.dev/v1alpha1\nkind: Rig\nmetadata:\n  name: wyvern\nspec:\n  gitUrl: ${bare}\n  suspend: true\n  beads:\n    prefix: mq\n  mergeQueue:\n    strategy: merge\n    testCommand: ["node", "test.js"]\n`,
    );
    execFileSync(process.execPath, [CLI, 'apply', '-f', path.join(dir, 'town.yaml')], { stdio: 'ignore', env: { ...process.env, GT_TOWN: '' } });

    const tracker = new JsonlTracker(path.join(root, 'wyvern', '.beads'), { prefix: 'mq' });
    const queue = new MergeQueueStore(path.join(root, '.gt', 'merge-queue'));
    const work = path.join(dir, 'work');
    git(dir, 'clone', '-q', bare, work);
    const refspecs: string[] = [];
    const prepared: { id: string; branch: string; head: string }[] = [];
    for (let i = 0; i < BRANCHES; i++) {
      const issue = await tracker.create({ title: `change ${i}` });
      await tracker.claim(issue.id, 'wyvern/polecats/bench');
      const branch = `polecat/bench/${issue.id}`;
      git(work, 'checkout', '-q', '-b', branch, 'origin/main');
      writeFileSync(path.join(work, `f${i}.txt`), `change ${i}\n`);
      git(work, 'add', '.');
      git(work, 'commit', '-q', '-m', `change ${i}`);
      prepared.push({ id: issue.id, branch, head: git(work, 'rev-parse', 'HEAD').trim() });
      refspecs.push(`${branch}:${branch}`);
    }
    git(work, 'push', '-q', 'origin', ...refspecs);
    const readyAt = new Date().toISOString();
    for (const p of prepared) await queue.put('wyvern', { issueId: p.id, branch: p.branch, head: p.head, polecat: 'bench', readyAt });

    const session = new TownSession(root);
    const key = workKeyOf('refinery', 'Rig/wyvern');
    let merged = 0;
    const started = performance.now();
    const cpu = await measureCpu(async () => {
      while ((await queue.list('wyvern')).length) {
        const o = await session.reconciler.reconcileKey(key);
        if (o?.failed) throw new Error(`merge failed: ${o.failed.error}`);
        merged += o?.done.filter((d) => d.text.includes('merged as')).length ?? 0;
      }
    });
    const wallMs = performance.now() - started;
    const rssMb = process.memoryUsage().rss / 1e6;
    const mainCommits = Number(git(bare, 'rev-list', '--count', 'main').trim());
    const children = cpu.childrenMs ?? 0;
    const own = cpu.selfMs + cpu.spawnerMs;
    const total = own + children;
    const share = total ? own / total : 0;
    const perMerge = (ms: number) => `${(ms / Math.max(1, merged)).toFixed(1)} ms per merge`;
    return [
      `  ${BRANCHES} small non-conflicting branches, strategy merge, test command "node test.js", one at a time, in process`,
      `  gt's RSS at the end ${rssMb.toFixed(0)} MB`,
      `  merged ${merged} (main now has ${mainCommits} commits), wall ${(wallMs / 1000).toFixed(1)} s`,
      `  throughput                             ${((merged / wallMs) * 60_000).toFixed(1)} merges per minute (${(wallMs / Math.max(1, merged)).toFixed(0)} ms per merge)`,
      `  CPU, gt's own work                     ${own.toFixed(0).padStart(6)} ms  ${pct(own, total).padStart(4)}  ${perMerge(own)}`,
      `    the gt process (JS, fs, starting)    ${cpu.selfMs.toFixed(0).padStart(6)} ms  ${pct(cpu.selfMs, total).padStart(4)}  ${perMerge(cpu.selfMs)}`,
      `  CPU, git and the test command          ${children.toFixed(0).padStart(6)} ms  ${pct(children, total).padStart(4)}  ${perMerge(children)}`,
      `  target: our own work under 10% of the total: ${share < 0.1 ? 'met' : 'NOT MET'} (${(share * 100).toFixed(1)}%)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchMergeQueue()) console.log(line);
}
