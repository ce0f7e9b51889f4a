import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlTracker } from '../src/beads/jsonl.js';
import type { Issue } from '../src/beads/record.js';
import { bareRepo, gt, tempDir } from './support/town.js';

// The swarm-wave controller through the real CLI: real beads JSONL files, a real bare repository.
// The rig is suspended, so no polecat (and no tmux session) ever starts: only the swarm works.

interface TaskSpec {
  id: string;
  title: string;
  description?: string;
  priority?: number;
  dependsOn?: string[];
}

const DIAMOND: TaskSpec[] = [
  { id: 'a', title: 'Task A' },
  { id: 'b', title: 'Task B', dependsOn: ['a'] },
  { id: 'c', title: 'Task C', dependsOn: ['a'] },
  { id: 'd', title: 'Task D', dependsOn: ['b', 'c'] },
  { id: 'e', title: 'Task E', priority: 1 },
];

let dir: string;
let root: string;

/** Town + suspended Rig + the given Swarms, as YAML (JSON documents are YAML). */
async function writeManifest(swarms: Record<string, { title?: string; tasks: TaskSpec[] }>): Promise<void> {
  const docs: unknown[] = [
    { apiVersion: 'gastown.dev/v1alpha1', kind: 'Town', metadata: { name: 't' }, spec: { root: './town' } },
    { apiVersion: 'gastown.dev/v1alpha1', kind: 'Rig', metadata: { name: 'wyvern' }, spec: { gitUrl: './remote.git', suspend: true } },
    ...Object.entries(swarms).map(([name, s]) => ({
      apiVersion: 'gastown.dev/v1alpha1',
      kind: 'Swarm',
      metadata: { name },
      spec: { rig: 'wyvern', title: s.title ?? `Swarm ${name}`, tasks: s.tasks },
    })),
  ];
  await writeFile(path.join(dir, 'town.yaml'), docs.map((d) => JSON.stringify(d, null, 2)).join('\n---\n') + '\n');
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return gt([...args, '--town', root], { cwd: dir, env });
}

async function apply(env: NodeJS.ProcessEnv = {}) {
  const r = await gt(['apply', '-f', 'town.yaml'], { cwd: dir, env });
  return r;
}

async function applyOk(): Promise<string> {
  const r = await apply();
  if (r.code !== 0) throw new Error(`apply failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function once(): Promise<string> {
  const r = await run(['run', '--once']);
  if (r.code !== 0) throw new Error(`run --once failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function issues(): Promise<Issue[]> {
  const r = await run(['issues', 'list', '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Issue[];
}

async function show(id: string): Promise<Issue> {
  const r = await run(['issues', 'show', id, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Issue;
}

/** The issues carrying exactly this external_ref. */
async function withRef(ref: string): Promise<Issue[]> {
  return (await issues()).filter((i) => i.external_ref === ref);
}

async function one(ref: string): Promise<Issue> {
  const found = await withRef(ref);
  expect(found.map((i) => i.external_ref)).toEqual([ref]);
  return found[0]!;
}

function deps(i: Issue, type: string): string[] {
  return i.dependencies
    .filter((d) => d.type === type)
    .map((d) => d.depends_on_id)
    .sort();
}

async function swarmStatus(name: string) {
  const r = await run(['get', 'swarm', name, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return (
    JSON.parse(r.stdout) as {
      status: {
        conditions: { type: string; status: string }[];
        findings: { code: string; message: string }[];
        controllers: { swarm: { details: Record<string, unknown>; notes: string[] } };
      };
    }
  ).status;
}

function tracker(): JsonlTracker {
  return new JsonlTracker(path.join(root, 'wyvern', '.beads'), { prefix: 'wyvern' });
}

const issuesFile = () => readFile(path.join(root, 'wyvern', '.beads', 'issues.jsonl'), 'utf8');

beforeAll(async () => {
  dir = await tempDir('gt-swarm-');
  root = path.join(dir, 'town');
  await bareRepo(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Swarm: one epic, a child issue per task, blocks per dependsOn', () => {
  it('diff before the first apply lists what the swarm will create', async () => {
    await writeManifest({ s1: { title: 'Diamond', tasks: DIAMOND } });
    const r = await gt(['diff', '-f', 'town.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Swarm/s1:');
    expect(r.stdout).toContain('+ epic gt-swarm:s1 "Diamond"');
    expect(r.stdout).toContain('+ task gt-swarm:s1/d "Task D" (P2, after b, c)');
  });

  it('applying a diamond of 5 tasks creates 1 epic and 5 tasks with parent-child and blocks dependencies', async () => {
    await applyOk();
    const all = await issues();
    expect(all).toHaveLength(6);
    const epic = await one('gt-swarm:s1');
    expect(epic.issue_type).toBe('epic');
    expect(epic.title).toBe('Diamond');
    // An open epic would be offered as work by bd ready; the swarm keeps it in progress.
    expect(epic.status).toBe('in_progress');
    const t: Record<string, Issue> = {};
    for (const s of DIAMOND) {
      t[s.id] = await one(`gt-swarm:s1/${s.id}`);
      expect(t[s.id]!.issue_type).toBe('task');
      expect(t[s.id]!.title).toBe(s.title);
      expect(t[s.id]!.status).toBe('open');
      expect(deps(t[s.id]!, 'parent-child')).toEqual([epic.id]);
    }
    expect(t.e!.priority).toBe(1);
    expect(t.a!.priority).toBe(2);
    expect(deps(t.a!, 'blocks')).toEqual([]);
    expect(deps(t.e!, 'blocks')).toEqual([]);
    expect(deps(t.b!, 'blocks')).toEqual([t.a!.id]);
    expect(deps(t.c!, 'blocks')).toEqual([t.a!.id]);
    expect(deps(t.d!, 'blocks')).toEqual([t.b!.id, t.c!.id].sort());
    // What gt issues show says is the same record.
    expect(deps(await show(t.d!.id), 'blocks')).toEqual([t.b!.id, t.c!.id].sort());
  });

  it('gt issues ready offers exactly a and e', async () => {
    const r = await run(['issues', 'ready', '-o', 'json']);
    expect(r.code).toBe(0);
    const ready = (JSON.parse(r.stdout) as Issue[]).map((i) => i.external_ref);
    expect(ready).toEqual(['gt-swarm:s1/e', 'gt-swarm:s1/a']); // e is P1, so first
  });

  it('a second apply and a second run --once create nothing twice; diff is in sync', async () => {
    const before = await issuesFile();
    await applyOk();
    await once();
    expect(await issuesFile()).toBe(before);
    const d = await run(['diff']);
    expect(d.stdout).toContain('0/5 tasks closed (0%), wave 1 of 3 in progress (ready: a, e); waves to come: 2, 3');
    expect(d.code, d.stdout).toBe(0);
  });

  it('gt get swarm shows the tasks by wave, and the progress', async () => {
    const r = await run(['get', 'swarm', 's1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /^TASK\s+ISSUE\s+WAVE\s+STATE\s+TITLE$/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 1, header + 6).map((l) => l.split(/\s{2,}/));
    expect(rows.map((c) => [c[0], c[2], c[3]])).toEqual([
      ['a', '1', 'open'],
      ['e', '1', 'open'],
      ['b', '2', 'blocked'],
      ['c', '2', 'blocked'],
      ['d', '3', 'blocked'],
    ]);
    expect(r.stdout).toContain('0/5 tasks closed (0%), wave 1 of 3 in progress');
  });
});

describe('Swarm: crash safety', () => {
  it('a pass killed in the middle of its batch (after the epic, before the write) leaves the beads file as it was; the next pass creates everything once', async () => {
    await writeManifest({
      s1: { title: 'Diamond', tasks: DIAMOND },
      k1: {
        tasks: [
          { id: 'x', title: 'X' },
          { id: 'y', title: 'Y', dependsOn: ['x'] },
        ],
      },
    });
    const before = await issuesFile();
    const r = await apply({ GT_FAILPOINT: 'swarm:after-create-epic' });
    expect(r.code).not.toBe(0);
    expect(await issuesFile()).toBe(before);
    await once(); // also takes over the locks the killed process left
    const epic = await one('gt-swarm:k1');
    expect(epic.status).toBe('in_progress');
    const x = await one('gt-swarm:k1/x');
    const y = await one('gt-swarm:k1/y');
    expect(deps(y, 'blocks')).toEqual([x.id]);
    expect(deps(x, 'parent-child')).toEqual([epic.id]);
  });

  it('a pass killed right after its first task (before the write) resumes without duplicates', async () => {
    await writeManifest({
      s1: { title: 'Diamond', tasks: DIAMOND },
      k1: {
        tasks: [
          { id: 'x', title: 'X' },
          { id: 'y', title: 'Y', dependsOn: ['x'] },
        ],
      },
      k2: {
        tasks: [
          { id: 'p', title: 'P' },
          { id: 'q', title: 'Q', dependsOn: ['p'] },
          { id: 'r', title: 'R', dependsOn: ['q'] },
        ],
      },
    });
    const before = await issuesFile();
    const r = await apply({ GT_FAILPOINT: 'swarm:after-create-task' });
    expect(r.code).not.toBe(0);
    expect(await issuesFile()).toBe(before);
    await once();
    const epic = await one('gt-swarm:k2');
    const [p, q, rr] = [await one('gt-swarm:k2/p'), await one('gt-swarm:k2/q'), await one('gt-swarm:k2/r')];
    expect(deps(q, 'blocks')).toEqual([p.id]);
    expect(deps(rr, 'blocks')).toEqual([q.id]);
    for (const i of [p, q, rr]) expect(deps(i, 'parent-child')).toEqual([epic.id]);
  });

  it('an epic and two tasks made by hand (as a crash half-way would leave them) are adopted, not duplicated', async () => {
    const tr = tracker();
    const epic = await tr.create({ title: 'Half', type: 'epic', externalRef: 'gt-swarm:h1' });
    const a = await tr.create({ title: 'Half A', externalRef: 'gt-swarm:h1/a' }); // no parent link yet
    const b = await tr.create({ title: 'Half B', externalRef: 'gt-swarm:h1/b', parent: epic.id }); // no blocks link yet
    await writeManifest({
      s1: { title: 'Diamond', tasks: DIAMOND },
      k1: {
        tasks: [
          { id: 'x', title: 'X' },
          { id: 'y', title: 'Y', dependsOn: ['x'] },
        ],
      },
      k2: {
        tasks: [
          { id: 'p', title: 'P' },
          { id: 'q', title: 'Q', dependsOn: ['p'] },
          { id: 'r', title: 'R', dependsOn: ['q'] },
        ],
      },
      h1: {
        title: 'Half',
        tasks: [
          { id: 'a', title: 'Half A' },
          { id: 'b', title: 'Half B', dependsOn: ['a'] },
          { id: 'c', title: 'Half C', dependsOn: ['b'] },
        ],
      },
    });
    const d = await gt(['diff', '-f', 'town.yaml'], { cwd: dir });
    expect(d.stdout).toContain(`+ dependency: gt-swarm:h1/a is a child of gt-swarm:h1 (parent-child)`);
    expect(d.stdout).toContain(`+ dependency: gt-swarm:h1/b waits for gt-swarm:h1/a (blocks)`);
    expect(d.stdout).not.toContain('+ task gt-swarm:h1/a');
    await applyOk();
    await once();
    const count = (await issues()).length;
    expect((await one('gt-swarm:h1')).id).toBe(epic.id);
    expect((await one('gt-swarm:h1/a')).id).toBe(a.id);
    const b2 = await one('gt-swarm:h1/b');
    expect(b2.id).toBe(b.id);
    const c = await one('gt-swarm:h1/c');
    expect(deps(await one('gt-swarm:h1/a'), 'parent-child')).toEqual([epic.id]);
    expect(deps(b2, 'blocks')).toEqual([a.id]);
    expect(deps(c, 'blocks')).toEqual([b.id]);
    await once();
    expect((await issues()).length).toBe(count);
    expect((await run(['diff'])).code).toBe(0);
  });
});

describe('Swarm: spec changes', () => {
  const others = {
    k1: {
      tasks: [
        { id: 'x', title: 'X' },
        { id: 'y', title: 'Y', dependsOn: ['x'] },
      ],
    },
    k2: {
      tasks: [
        { id: 'p', title: 'P' },
        { id: 'q', title: 'Q', dependsOn: ['p'] },
        { id: 'r', title: 'R', dependsOn: ['q'] },
      ],
    },
    h1: {
      title: 'Half',
      tasks: [
        { id: 'a', title: 'Half A' },
        { id: 'b', title: 'Half B', dependsOn: ['a'] },
        { id: 'c', title: 'Half C', dependsOn: ['b'] },
      ],
    },
  };
  const diamond = (tasks: TaskSpec[]) => writeManifest({ s1: { title: 'Diamond', tasks }, ...others });

  it("editing a task's title and description updates its issue in place", async () => {
    const before = await one('gt-swarm:s1/a');
    const count = (await issues()).length;
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1)]);
    const d = await gt(['diff', '-f', 'town.yaml'], { cwd: dir });
    expect(d.stdout).toContain(`~ task a ${before.id} (gt-swarm:s1/a): title "Task A" -> "Task A, renamed", description`);
    await applyOk();
    const after = await one('gt-swarm:s1/a');
    expect(after.id).toBe(before.id);
    expect(after.title).toBe('Task A, renamed');
    expect(after.description).toBe('Now with words.');
    expect((await issues()).length).toBe(count);
  });

  it('adding a task adds one issue', async () => {
    const count = (await issues()).length;
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1), { id: 'f', title: 'Task F', dependsOn: ['e'] }]);
    await applyOk();
    expect((await issues()).length).toBe(count + 1);
    const f = await one('gt-swarm:s1/f');
    expect(deps(f, 'blocks')).toEqual([(await one('gt-swarm:s1/e')).id]);
    expect(deps(f, 'parent-child')).toEqual([(await one('gt-swarm:s1')).id]);
  });

  it('removing a task nobody worked on closes its issue', async () => {
    // f is removed too (it waited for e); e is untouched.
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1, 4), { id: 'g', title: 'Task G' }]);
    const out = await applyOk();
    expect(out).toContain('task "e" was removed from the spec and no work was done on it');
    expect((await one('gt-swarm:s1/e')).status).toBe('closed');
    expect((await one('gt-swarm:s1/f')).status).toBe('closed');
    expect((await run(['diff'])).code).toBe(0);
  });

  it('removing a task that was claimed reports RemovedTaskHasWork and leaves it open', async () => {
    const g = await one('gt-swarm:s1/g');
    // Claimed by a person (a polecat's claim without a worker record would be released as lost).
    await tracker().claim(g.id, 'overseer');
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1, 4)]);
    await applyOk();
    expect((await one('gt-swarm:s1/g')).status).toBe('in_progress');
    const d = await run(['diff']);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('RemovedTaskHasWork');
    expect(d.stdout).toContain(`its issue ${g.id} (it is in_progress)`);
    const s = await swarmStatus('s1');
    expect(s.findings.map((f) => f.code)).toEqual(['RemovedTaskHasWork']);
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
    // A person decides: closing it by hand ends the report.
    expect((await run(['issues', 'close', g.id])).code).toBe(0);
    await once();
    expect((await run(['diff'])).code).toBe(0);
  });

  it('a removed task with a polecat comment (returned work) is also left alone', async () => {
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1, 4), { id: 'h', title: 'Task H' }]);
    await applyOk();
    const h = await one('gt-swarm:s1/h');
    await tracker().addComment(h.id, 'wyvern/polecats/toast', 'deferred: needs a decision');
    await diamond([{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1, 4)]);
    await applyOk();
    expect((await one('gt-swarm:s1/h')).status).toBe('open');
    const d = await run(['diff']);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('1 comment from wyvern/polecats/toast');
    expect((await run(['issues', 'close', h.id])).code).toBe(0);
    expect((await run(['diff'])).code).toBe(0);
  });
});

describe('Swarm: waves and progress', () => {
  it('closing a makes b and c ready: wave 2 is current', async () => {
    const a = await one('gt-swarm:s1/a');
    expect((await run(['issues', 'close', a.id])).code).toBe(0);
    await once();
    const ready = JSON.parse((await run(['issues', 'ready', '-o', 'json'])).stdout) as Issue[];
    const mine = ready
      .filter((i) => i.external_ref?.startsWith('gt-swarm:s1/'))
      .map((i) => i.external_ref)
      .sort();
    expect(mine).toEqual(['gt-swarm:s1/b', 'gt-swarm:s1/c']);
    const details = (await swarmStatus('s1')).controllers.swarm.details;
    expect(details).toMatchObject({ total: 4, closed: 1, percent: 25, waves: 3, currentWave: 2, wavesToCome: [3], ready: ['b', 'c'], complete: false });
    expect(details.counts).toEqual({ closed: 1, open: 2, blocked: 1 });

    const r = await run(['get', 'swarm', 's1']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /^TASK\s+ISSUE\s+WAVE\s+STATE\s+TITLE$/.test(l));
    const rows = lines.slice(header + 1, header + 5).map((l) => l.split(/\s{2,}/));
    expect(rows).toEqual([
      ['a', a.id, '1', 'closed', 'Task A, renamed'],
      ['b', (await one('gt-swarm:s1/b')).id, '2', 'open', 'Task B'],
      ['c', (await one('gt-swarm:s1/c')).id, '2', 'open', 'Task C'],
      ['d', (await one('gt-swarm:s1/d')).id, '3', 'blocked', 'Task D'],
    ]);
    expect(r.stdout).toContain('1/4 tasks closed (25%), wave 2 of 3 in progress (ready: b, c); waves to come: 3');
  });

  it('gt status includes the swarm progress', async () => {
    const r = await run(['status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Swarm s1 (rig wyvern): 1/4 tasks closed (25%), wave 2 of 3 in progress (ready: b, c); waves to come: 3');
  });

  it('while tasks remain the Swarm is not Ready, and gt diff is still in sync', async () => {
    const s = await swarmStatus('s1');
    expect(s.conditions.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InProgress',
      message: '1/4 tasks closed (25%), wave 2 of 3 in progress (ready: b, c); waves to come: 3',
    });
    expect(s.conditions.find((c) => c.type === 'Stalled')?.status).toBe('False');
    expect((await run(['get', 'swarm', 's1'])).stdout).toMatch(/^Swarm\s+s1\s+\d+\s+InProgress\s/m);
    expect((await run(['diff'])).code).toBe(0);
  });

  it('the swarm completes when every task is closed; then its epic closes and it is Ready', async () => {
    for (const t of ['b', 'c', 'd']) expect((await run(['issues', 'close', (await one(`gt-swarm:s1/${t}`)).id])).code).toBe(0);
    const out = await once();
    expect(out).toContain('close epic');
    expect((await one('gt-swarm:s1')).status).toBe('closed');
    const s = await swarmStatus('s1');
    expect(s.controllers.swarm.details).toMatchObject({ closed: 4, percent: 100, currentWave: null, wavesToCome: [], complete: true });
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect((await run(['get', 'swarm', 's1'])).stdout).toContain('4/4 tasks closed (100%), every task closed and merged');
    expect((await run(['diff'])).code).toBe(0);
  });

  it('a task added to a finished swarm reopens its epic', async () => {
    await writeManifest({
      s1: { title: 'Diamond', tasks: [{ id: 'a', title: 'Task A, renamed', description: 'Now with words.' }, ...DIAMOND.slice(1, 4), { id: 'z', title: 'Task Z', dependsOn: ['d'] }] },
      k1: {
        tasks: [
          { id: 'x', title: 'X' },
          { id: 'y', title: 'Y', dependsOn: ['x'] },
        ],
      },
      k2: {
        tasks: [
          { id: 'p', title: 'P' },
          { id: 'q', title: 'Q', dependsOn: ['p'] },
          { id: 'r', title: 'R', dependsOn: ['q'] },
        ],
      },
      h1: {
        title: 'Half',
        tasks: [
          { id: 'a', title: 'Half A' },
          { id: 'b', title: 'Half B', dependsOn: ['a'] },
          { id: 'c', title: 'Half C', dependsOn: ['b'] },
        ],
      },
    });
    await applyOk();
    expect((await one('gt-swarm:s1')).status).toBe('in_progress');
    const z = await one('gt-swarm:s1/z');
    expect(z.status).toBe('open');
    const details = (await swarmStatus('s1')).controllers.swarm.details;
    expect(details).toMatchObject({ total: 5, closed: 4, percent: 80, currentWave: 4, ready: ['z'] });
  });

  it('deleting a Swarm closes its untouched tasks and its epic, then removes it; killed between the two, the next pass only removes it', async () => {
    const r = await run(['delete', 'swarm', 'k1'], { GT_FAILPOINT: 'swarm:after-write' });
    expect(r.code).not.toBe(0);
    for (const ref of ['gt-swarm:k1', 'gt-swarm:k1/x', 'gt-swarm:k1/y']) expect((await one(ref)).status).toBe('closed');
    expect((await run(['get', 'swarm', 'k1'])).stdout).toMatch(/^Swarm\s+k1\s+\d+\s+Terminating/m);
    const before = await issuesFile();
    const out = await once();
    expect(out).toContain('- remove Swarm/k1 from the store');
    expect(await issuesFile()).toBe(before);
    expect((await run(['get', 'swarm', 'k1'])).code).not.toBe(0);
  });
});
