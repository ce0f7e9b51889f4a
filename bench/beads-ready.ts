/**
 * Ready work over 50,000 issues: how long the embedded beads tracker takes to parse a realistic
 * `.beads/issues.jsonl`, to compute `bd ready` on the parsed issues, and to do both from the
 * file (`JsonlTracker.ready()`). Prints figures; the target is the one in the issue: ready over
 * 50,000 issues well under 200 ms.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JsonlTracker } from '../src/beads/jsonl.js';
import { fileIssues, parseBeadsFile } from '../src/beads/jsonl-file.js';
import { readyIssues } from '../src/beads/ready.js';
import { row, timeAsync, type Sample } from './stats.js';

const ISSUES = 50_000;
const RUNS = 7;
const WARMUPS = 2;
const TARGET_MS = 200;
const NOW = new Date('2026-06-01T12:00:00Z');

/** A small deterministic generator, so every run measures the same file. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Like bd: nanosecond fractions and the writer's local offset. */
function bdTime(ms: number): string {
  const local = new Date(ms - 7 * 3_600_000).toISOString().slice(0, 19);
  return `${local}.${String(ms % 1000).padStart(3, '0')}123456-07:00`;
}

/**
 * 2% epics with ~10 children each, ~30% closed, one issue in three blocked by one of the 40
 * issues before it (so blocks form chains), 10% in progress, ~4% deferred (half of them into
 * the future), a few messages and gates, and descriptions, labels and comments so that parsing
 * costs what it would on a real rig.
 */
function syntheticLines(): string[] {
  const rand = prng(42);
  const id = (i: number) => `bn-${i.toString(36).padStart(4, '0')}`;
  const start = Date.UTC(2025, 5, 1);
  const epics: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < ISSUES; i++) {
    const created = start + i * 600_000 + Math.floor(rand() * 1000);
    const r = rand();
    const type = i % 50 === 0 ? 'epic' : r < 0.005 ? 'message' : r < 0.01 ? 'gate' : (['task', 'bug', 'feature', 'chore'] as const)[i % 4];
    if (type === 'epic') epics.push(i);
    const status = rand() < 0.3 ? 'closed' : rand() < 0.14 ? 'in_progress' : 'open';
    const rec: Record<string, unknown> = {
      _type: 'issue',
      id: id(i),
      title: `Synthetic issue ${i}: make the ${type} behave`,
      description: `Generated for the readiness benchmark. Issue ${i} of ${ISSUES}; it stands for a typical task description of a line or two.`,
      status,
      priority: Math.floor(rand() * 5),
      issue_type: type,
      created_at: bdTime(created),
      updated_at: bdTime(created + 3_600_000),
    };
    if (status === 'closed') Object.assign(rec, { closed_at: bdTime(created + 7_200_000), close_reason: 'done' });
    if (status === 'in_progress') rec.assignee = `polecat-${i % 7}`;
    if (rand() < 0.04) rec.defer_until = bdTime(NOW.getTime() + (rand() < 0.5 ? 1 : -1) * 86_400_000 * 10);
    if (rand() < 0.3) rec.labels = ['area-' + (i % 9), 'synthetic'];
    const deps: Record<string, unknown>[] = [];
    const epic = epics.at(-1);
    if (epic !== undefined && epic !== i && i - epic <= 10) deps.push({ issue_id: id(i), depends_on_id: id(epic), type: 'parent-child', created_at: bdTime(created) });
    if (i > 40 && rand() < 0.33) deps.push({ issue_id: id(i), depends_on_id: id(i - 1 - Math.floor(rand() * 40)), type: 'blocks', created_at: bdTime(created) });
    if (deps.length > 0) rec.dependencies = deps;
    if (rand() < 0.1) rec.comments = [{ id: i, issue_id: id(i), author: 'mayor', text: 'Looked at this; see the linked issue.', created_at: bdTime(created + 60_000) }];
    lines.push(JSON.stringify(rec));
  }
  return lines;
}

function met(s: Sample): string {
  return s.median < TARGET_MS ? `met (median ${s.median.toFixed(1)} ms < ${TARGET_MS} ms)` : `NOT MET (median ${s.median.toFixed(1)} ms >= ${TARGET_MS} ms)`;
}

export async function benchReady(): Promise<string[]> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'gt-bench-beads-'));
  try {
    const dir = path.join(tmp, '.beads');
    await mkdir(dir);
    const file = path.join(dir, 'issues.jsonl');
    const text = syntheticLines().join('\n') + '\n';
    await writeFile(file, text);

    const issues = fileIssues(parseBeadsFile(text, file));
    const readyCount = readyIssues(issues, NOW).length;
    const tracker = new JsonlTracker(dir, { prefix: 'bn', now: () => NOW });

    const parse = await timeAsync(async () => void parseBeadsFile(await readFile(file, 'utf8'), file), RUNS, WARMUPS);
    const ready = await timeAsync(() => Promise.resolve(void readyIssues(issues, NOW)), RUNS, WARMUPS);
    const endToEnd = await timeAsync(async () => void (await tracker.ready()), RUNS, WARMUPS);

    return [
      `beads ready over ${issues.length.toLocaleString('en')} issues (${(text.length / 1e6).toFixed(1)} MB issues.jsonl, ${readyCount.toLocaleString('en')} ready); median of ${RUNS} runs after ${WARMUPS} warm-ups, ms`,
      `  ${''.padEnd(48)} median     p90`,
      row('read + parse issues.jsonl', parse),
      row('readyIssues alone', ready),
      row('JsonlTracker.ready() end to end', endToEnd),
      `  target: ready over ${ISSUES.toLocaleString('en')} issues under ${TARGET_MS} ms`,
      `    readyIssues alone: ${met(ready)}`,
      `    JsonlTracker.ready() from the file: ${met(endToEnd)}`,
    ];
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of await benchReady()) process.stdout.write(line + '\n');
}
