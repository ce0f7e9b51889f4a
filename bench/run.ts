/**
 * `npm run bench [-- SECTION...]`: runs the benchmark sections in order (all when none is named)
 * and prints their figures, each with its target and whether it is met. Asserts nothing: the
 * exit code is 0 unless a section could not run at all (see bench/README.md).
 */
import os from 'node:os';
import { benchReady } from './beads-ready.js';
import { benchDiff } from './diff.js';
import { benchDiffScale } from './diff-scale.js';
import { benchIdle } from './idle-loop.js';
import { benchLatency } from './spawn-latency.js';
import { benchMergeQueue } from './merge-queue.js';
import { benchScale } from './scale.js';
import { benchSwarm } from './swarm-apply.js';

const SECTIONS: Record<string, { title: string; run: () => Promise<string[]> }> = {
  diff: { title: 'gt diff on a town of 20 rigs', run: benchDiff },
  ready: { title: 'beads ready over 50,000 issues', run: benchReady },
  latency: { title: 'new ready issue -> polecat session running', run: benchLatency },
  idle: { title: 'idle gt run with 20 polecats', run: benchIdle },
  merge: { title: 'merge-queue throughput: gt run against a shell loop of the same commands', run: benchMergeQueue },
  swarm: { title: 'gt apply of a Swarm of 20,000 tasks', run: benchSwarm },
  scale: { title: '200 polecats: cold start, idle, new issue -> session', run: benchScale },
  'diff-scale': { title: 'gt diff on 100 rigs with 200 polecats', run: benchDiffScale },
};

const say = (line = '') => process.stdout.write(line + '\n');

// Sections by name (`diff idle`); `--only idle` and `--only=diff,idle` say the same.
const asked = process.argv.slice(2).flatMap((a) => (a === '--only' ? [] : a.startsWith('--only=') ? a.slice('--only='.length).split(',') : [a]));
const unknown = asked.filter((a) => !(a in SECTIONS));
if (unknown.length) {
  process.stderr.write(`bench: unknown section${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; sections: ${Object.keys(SECTIONS).join(' ')} (none = all)\n`);
  process.exit(2);
}
const chosen = asked.length ? Object.keys(SECTIONS).filter((k) => asked.includes(k)) : Object.keys(SECTIONS);

say(`gt benchmarks: ${chosen.join(', ')}; node ${process.version}, ${os.cpus().length} CPUs, ${os.platform()}, load average ${os.loadavg()[0]!.toFixed(1)}`);
const verdicts: string[] = [];
let failed = 0;
for (const key of chosen) {
  const s = SECTIONS[key]!;
  say('');
  say(`== ${key}: ${s.title}`);
  const t0 = Date.now();
  try {
    const lines = await s.run();
    for (const l of lines) say(l);
    // Target lines end in "met (...)" or "NOT MET (...)"; they are repeated in the summary.
    for (const l of lines) if (/(^|\s)(met|NOT MET)(\s\(|$)/.test(l)) verdicts.push(`${key}: ${l.trim()}`);
  } catch (err) {
    failed++;
    say(`section ${key} could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    verdicts.push(`${key}: could not run`);
  }
  process.stderr.write(`bench: ${key} took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}
say('');
say('== targets');
for (const v of verdicts) say(`  ${v}`);
if (failed) process.exitCode = 1;
