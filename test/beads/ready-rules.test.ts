import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBeadsFile, fileIssues } from '../../src/beads/jsonl-file.js';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { Readiness } from '../../src/beads/ready.js';
import { READY_RULES, READY_RULES_EXPECTED } from './fixtures/ready-rules.js';
import { beadsDir, removeTempDirs } from './support.js';

const NOW = new Date('2026-06-01T12:00:00Z');

async function readiness(): Promise<Readiness> {
  return new Readiness(fileIssues(parseBeadsFile(await readFile(READY_RULES, 'utf8'), READY_RULES)), NOW);
}

afterAll(removeTempDirs);
describe('the ready rules, one issue each, from a bd export', () => {
  it('the ready set is exactly what bd ready gives for the fixture', async () => {
    const dir = await beadsDir();
    await copyFile(READY_RULES, path.join(dir, 'issues.jsonl'));
    const t = new JsonlTracker(dir, { prefix: 'r', now: () => NOW });
    expect((await t.ready()).map((i) => i.id)).toEqual(READY_RULES_EXPECTED);
  });

  it('names the rule that keeps each other issue out', async () => {
    const r = await readiness();
    const why: Record<string, string> = {
      'r-in-progress': 'is in_progress, not open',
      'r-status-blocked': 'is blocked, not open',
      'r-closed': 'is closed, not open',
      'r-closed-deferred': 'is closed, not open',
      'r-status-deferred': 'is deferred, not open',
      'r-status-pinned': 'is pinned, not open',
      'r-hooked': 'is hooked, not open',
      'r-pinned': 'is pinned',
      'r-wisp': 'is ephemeral (a wisp)',
      'r-type-merge-request': 'is a merge-request, not work',
      'r-type-gate': 'is a gate, not work',
      'r-type-molecule': 'is a molecule, not work',
      'r-type-message': 'is a message, not work',
      'r-type-agent': 'is a agent, not work',
      'r-type-role': 'is a role, not work',
      'r-type-rig': 'is a rig, not work',
      'r-defer-future': 'is deferred until 2999-01-01T00:00:00Z',
      'r-child-of-deferred': 'belongs to r-defer-future, which is deferred until 2999-01-01T00:00:00Z',
      'r-child-of-closed-deferred': 'belongs to r-closed-deferred, which is deferred until 2999-01-01T00:00:00Z',
      'r-blocked-open': 'is blocked by r-ready (open)',
      'r-cond-blocked': 'is blocked by r-in-progress (in_progress)',
      'r-blocked-hooked': 'is blocked by r-hooked (hooked)',
      'r-blocked-wisp': 'is blocked by r-wisp (open)',
      'r-epic-blocked': 'is blocked by r-ready (open)',
      'r-epic-child': 'is blocked because its parent r-epic-blocked is blocked',
      'r-epic-grandchild': 'is blocked because its parent r-epic-child is blocked',
      'r-parent-waits': 'is blocked because its parent r-epic-child is blocked',
      'r-epic-closed-child': 'is closed, not open',
      'r-epic-wip': 'is in_progress, not open',
      'r-spawner': 'is in_progress, not open',
      'r-waiter': 'waits for the children of r-spawner',
    };
    for (const [id, reason] of Object.entries(why)) expect(r.whyNotReady(id), id).toBe(`${id} ${reason}`);
    for (const id of READY_RULES_EXPECTED) expect(r.whyNotReady(id), id).toBeUndefined();
    const all = fileIssues(parseBeadsFile(await readFile(READY_RULES, 'utf8'), READY_RULES)).map((i) => i.id);
    expect([...Object.keys(why), ...READY_RULES_EXPECTED].sort()).toEqual(all.sort());
  });
});
