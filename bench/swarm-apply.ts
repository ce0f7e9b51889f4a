/**
 * The `swarm` section of `npm run bench`: `gt apply` of one Swarm of 20,000 tasks (a 5 MB
 * manifest) on a new town, through the bundled CLI as a user runs it, then a second apply of the
 * same file (nothing to do) and `gt diff`. Prints figures; asserts nothing (see bench/README.md).
 * Runs alone with `node dist/bench/swarm-apply.js`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readValidInput } from '../src/apply/input.js';
import { procCpuMs } from './cpu.js';
import { makeBareRepo } from './fixture.js';
import { nowMs } from './stats.js';

const TASKS = Number(process.env.GT_BENCH_SWARM_TASKS ?? 20_000);
const TARGET_MS = 5000;
const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../bundle/main.js');

/**
 * Town, a suspended Rig (no polecat starts) and the Swarm. Task i depends on up to two of the
 * 50 tasks before it, so the graph has long chains and many waves, as a generated plan would;
 * each task has a description of two lines, which brings the file to about 5 MB at 20,000.
 */
export function writeManifest(dir: string, gitUrl: string, tasks: number): string {
  const lines = [
    'apiVersion: gastown.dev/v1alpha1',
    'kind: Town',
    'metadata: { name: bench }',
    `spec: { root: ${JSON.stringify(path.join(dir, 'town'))} }`,
    '---',
    'apiVersion: gastown.dev/v1alpha1',
    'kind: Rig',
    'metadata: { name: big }',
    `spec: { gitUrl: ${JSON.stringify(gitUrl)}, suspend: true }`,
    '---',
    'apiVersion: gastown.dev/v1alpha1',
    'kind: Swarm',
    'metadata: { name: huge }',
    'spec:',
    '  rig: big',
    '  title: Twenty thousand tasks',
    '  tasks:',
  ];
  const id = (i: number) => `t${String(i).padStart(5, '0')}`;
  for (let i = 0; i < tasks; i++) {
    lines.push(`    - id: ${id(i)}`, `      title: Port module ${i} to the new API`, `      priority: ${i % 5}`);
    lines.push('      description: |');
    lines.push(`        Read module ${i}, change its calls to the new interface and keep its tests green.`, '        Explain in the merge request what changed and why.');
    const deps = [i - 1 - (i % 7), i - 1 - (i % 50)].filter((d, k, all) => d >= 0 && all.indexOf(d) === k);
    if (i % 3 !== 0 && deps.length) lines.push(`      dependsOn: [${deps.map(id).join(', ')}]`);
  }
  const file = path.join(dir, 'swarm.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Wall time, and CPU time (gt and the programs it waited for: git), which a busy machine inflates less. */
function timeGt(args: string[], cwd: string): { ms: number; cpuMs: number; status: number | null; stdout: string; stderr: string } {
  const cpu0 = procCpuMs(process.pid)?.childrenMs ?? 0;
  const t0 = nowMs();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = nowMs() - t0;
  return { ms, cpuMs: (procCpuMs(process.pid)?.childrenMs ?? 0) - cpu0, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2).padStart(7)} s`;
const cpu = (r: { cpuMs: number }) => `(CPU ${(r.cpuMs / 1000).toFixed(2)} s)`;

export async function benchSwarm(): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gt-bench-swarm-'));
  try {
    const bare = makeBareRepo(dir);
    const file = writeManifest(dir, bare, TASKS);
    const size = statSync(file).size;

    const t0 = nowMs();
    await readValidInput([file], {});
    const validate = nowMs() - t0;

    const first = timeGt(['apply', '-f', file], dir);
    if (first.status !== 0) throw new Error(`gt apply exited ${first.status}:\n${first.stdout.slice(-2000)}${first.stderr}`);
    const issuesFile = path.join(dir, 'town', 'big', '.beads', 'issues.jsonl');
    const issues = readFileSync(issuesFile, 'utf8').split('\n').filter(Boolean).length;
    const again = timeGt(['apply', '-f', file], dir);
    const diff = timeGt(['diff', '--town', path.join(dir, 'town')], dir);

    const verdict = first.ms < TARGET_MS ? `met (${(first.ms / 1000).toFixed(2)} s < ${TARGET_MS / 1000} s)` : `NOT MET (${(first.ms / 1000).toFixed(2)} s >= ${TARGET_MS / 1000} s)`;
    return [
      `one Swarm of ${TASKS.toLocaleString('en')} tasks, a ${(size / 1e6).toFixed(1)} MB manifest, on a new town (a suspended rig: no polecat starts); wall time of the bundled CLI; load average ${os.loadavg()[0]!.toFixed(1)}`,
      `  validate the manifest in process (load, schema, rules)   ${sec(validate)}`,
      `  gt apply -f (new town: layout, clones, the swarm)        ${sec(first.ms)}   ${cpu(first)} ${issues.toLocaleString('en')} issues written, issues.jsonl ${(statSync(issuesFile).size / 1e6).toFixed(1)} MB`,
      `  gt apply -f again (nothing to do)                        ${sec(again.ms)}   ${cpu(again)} exit ${again.status}`,
      `  gt diff                                                  ${sec(diff.ms)}   ${cpu(diff)} exit ${diff.status} (0 = in sync)`,
      `  target: gt apply of ${TASKS.toLocaleString('en')} tasks under ${TARGET_MS / 1000} s: ${verdict}`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchSwarm()) process.stdout.write(line + '\n');
}
