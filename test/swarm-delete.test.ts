import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestTown } from './support/workers.js';

// Deleting a Swarm through the real CLI, with a real worker pool (tmux on a private socket, the
// scripted agent held in `stuck` mode so a claimed task stays claimed).

interface Row {
  id: string;
  status: string;
  assignee?: string;
  external_ref?: string;
  close_reason?: string;
}

let town: TestTown;

const swarmDoc = (maxParallel: number) => `---
apiVersion: gastown.dev/v1alpha1
kind: Swarm
metadata:
  name: s1
spec:
  rig: wyvern
  title: Three tasks
  maxParallel: ${maxParallel}
  tasks:
    - { id: a, title: Task A, priority: 0 }
    - { id: b, title: Task B }
    - { id: c, title: Task C, dependsOn: [a] }
`;

async function issues(): Promise<Row[]> {
  const r = await town.gt(['issues', 'list', '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

const byRef = async (ref: string) => (await issues()).find((i) => i.external_ref === ref)!;

beforeAll(async () => {
  town = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 3\n    spawnDelay: 0s\n' });
  await writeFile(path.join(town.dir, 'swarm.yaml'), swarmDoc(1));
  const r = await town.gt(['apply', '-f', 'town.yaml', '-f', 'swarm.yaml']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await town?.dispose();
});

describe('deleting a Swarm is a finalizer', () => {
  it('with maxParallel 1 one task is worked, the others wait', async () => {
    await town.once();
    const records = await town.records();
    expect(records).toHaveLength(1);
    expect(records[0]!.issueId).toBe((await byRef('gt-swarm:s1/a')).id);
    expect((await byRef('gt-swarm:s1/b')).status).toBe('open');
  });

  it('gt diff shows the cleanup before it happens: untouched tasks closed, the worked one left, the epic closed, the record removed', async () => {
    const [a, b, c, epic] = await Promise.all(['gt-swarm:s1/a', 'gt-swarm:s1/b', 'gt-swarm:s1/c', 'gt-swarm:s1'].map(byRef));
    const d = await town.gt(['diff', '-f', 'town.yaml', '--prune']);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`- close ${b!.id} (gt-swarm:s1/b): Swarm "s1" was deleted and no work was done on it`);
    expect(d.stdout).toContain(`- close ${c!.id} (gt-swarm:s1/c): Swarm "s1" was deleted and no work was done on it`);
    expect(d.stdout).toContain(`~ close epic ${epic!.id} (gt-swarm:s1): Swarm "s1" was deleted`);
    expect(d.stdout).toMatch(new RegExp(`- remove Swarm/s1 from the store; left as they are \\(work was done on them\\): a ${a!.id} \\(it is in_progress`));
    // A diff changes nothing.
    expect((await byRef('gt-swarm:s1/b')).status).toBe('open');
  });

  it('gt delete swarm: nothing more is dispatched, untouched tasks and the epic are closed, the worked task is left, the record is gone', async () => {
    const a = await byRef('gt-swarm:s1/a');
    const r = await town.gt(['delete', 'swarm', 's1']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The same pass must not hand b (or c) to a polecat now that maxParallel no longer holds it.
    expect((await town.records()).map((x) => x.issueId)).toEqual([a.id]);
    const after = await issues();
    const ref = (x: string) => after.find((i) => i.external_ref === x)!;
    expect(ref('gt-swarm:s1/b')).toMatchObject({ status: 'closed', close_reason: 'Swarm "s1" was deleted; no work had been done on this task' });
    expect(ref('gt-swarm:s1/c').status).toBe('closed');
    expect(ref('gt-swarm:s1/a')).toMatchObject({ status: 'in_progress', assignee: 'wyvern/polecats/nux' });
    expect(ref('gt-swarm:s1').status).toBe('closed');
    expect(r.stdout).toContain('left as they are (work was done on them): a');
    expect((await town.gt(['get', 'swarm', 's1'])).code).not.toBe(0);
  });

  it('the passes after it dispatch nothing of the deleted swarm and plan nothing for it', async () => {
    await town.once();
    expect(await town.records()).toHaveLength(1);
    expect(town.liveSessions()).toEqual(['gt-wyvern-nux']);
    const d = await town.gt(['diff']);
    expect(d.stdout).not.toContain('s1/');
  });
});
