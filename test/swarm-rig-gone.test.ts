import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectJson } from './support/json.js';
import { bareRepo, gt, tempDir } from './support/town.js';

// Status never rewrites history: a Swarm whose rig is deleted keeps its last known progress and
// says that its rig is gone. Real CLI, real beads file, a suspended rig (no tmux session starts).

let dir: string;
let root: string;
const run = (args: string[]) => gt([...args, '--town', root], { cwd: dir });

beforeAll(async () => {
  dir = await tempDir('gt-swarm-rig-');
  root = path.join(dir, 'town');
  await bareRepo(dir);
  const docs = [
    { apiVersion: 'gastown.dev/v1alpha1', kind: 'Town', metadata: { name: 't' }, spec: { root: './town' } },
    { apiVersion: 'gastown.dev/v1alpha1', kind: 'Rig', metadata: { name: 'wyvern' }, spec: { gitUrl: './remote.git', suspend: true } },
    {
      apiVersion: 'gastown.dev/v1alpha1',
      kind: 'Swarm',
      metadata: { name: 's1' },
      spec: {
        rig: 'wyvern',
        title: 'Two',
        tasks: [
          { id: 'a', title: 'A' },
          { id: 'b', title: 'B' },
        ],
      },
    },
  ];
  await writeFile(path.join(dir, 'town.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n');
  const r = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
  expect(r.code, r.stdout + r.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a Swarm whose rig is deleted', () => {
  it('shows 2/2 once both tasks are closed', async () => {
    const list = JSON.parse((await run(['issues', 'list', '-o', 'json'])).stdout) as { id: string; issue_type: string }[];
    for (const i of list.filter((x) => x.issue_type === 'task')) expect((await run(['issues', 'close', i.id])).code).toBe(0);
    expect((await run(['run', '--once'])).code).toBe(0);
    expect((await run(['status'])).stdout).toContain('Swarm s1 (rig wyvern): 2/2 tasks closed (100%)');
  });

  it('keeps its last known progress and says the rig is gone', async () => {
    const d = await run(['delete', 'rig', 'wyvern']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect((await run(['get', 'rig', 'wyvern'])).code).not.toBe(0);
    await run(['run', '--once']);
    const status = (await run(['status'])).stdout;
    expect(status).toContain('Swarm s1 (rig wyvern): 2/2 tasks closed (100%)');
    expect(status).not.toContain('0/2');
    expect(status).toContain('RigMissing');
    const s = objectJson((await run(['get', 'swarm', 's1', '-o', 'json'])).stdout).status;
    expect(s?.findings.map((f) => f.code)).toEqual(['RigMissing']);
    expect(s?.controllers.swarm?.details).toMatchObject({ total: 2, closed: 2, percent: 100, rigMissing: true });
    const g = (await run(['get', 'swarm', 's1'])).stdout;
    expect(g).toContain('2/2 tasks closed (100%)');
    expect(g).toContain('last known');
    // gt diff says so too, and stays consistent with status.
    const diff = await run(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('RigMissing');
  });
});
