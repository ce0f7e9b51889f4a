// npm run chaos -- [--seed N] [--faults N] [--minutes N]: the fault-injection suite (README, Reliability).
import { ensureFreshBundle } from '../support/bundle.js';
import { formatTable, runChaos } from './run.js';

ensureFreshBundle();

const args = process.argv.slice(2);
const num = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) {
    console.error(`--${name} needs a number, got ${JSON.stringify(args[i + 1])}`);
    process.exit(2);
  }
  return v;
};
const seed = num('seed', 1);
const faults = num('faults', 100);
const minutes = num('minutes', 14);
const started = Date.now();
const report = await runChaos({ seed, faults, minutes, log: (l) => console.error(`[${Math.round((Date.now() - started) / 1000)}s] ${l}`) });
console.log(formatTable(report));
if (report.notes.length) console.error('\nnotes (person steps the suite took, and what gt run said):');
for (const n of report.notes) console.error(n);
process.exit(report.violations.length ? 1 : 0);
