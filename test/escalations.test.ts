import { afterEach, describe, expect, it } from 'vitest';
import { statusJson } from './support/json.js';
import { TestTown, until } from './support/workers.js';

/** Escalations reach someone who reads them: the target's inbox, and the Overseer's when no session reads the target's. */
let t: TestTown | undefined;
afterEach(async () => {
  await t?.dispose();
  t = undefined;
});

const STUCK = { agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n    stuckAfter: 200ms\n    maxNudges: 0\n' };

async function escalateStuckWorker(town: TestTown): Promise<void> {
  await town.createIssue('stuck work');
  await town.once();
  await until(async () => {
    await new Promise((r) => setTimeout(r, 250));
    await town.once();
    return (await town.records())[0]?.state === 'stalled';
  }, 'the stuck worker to be escalated');
}

describe('escalations', () => {
  it('with the target (mayor) not running, the Overseer gets it too, and gt status shows it at the top', async () => {
    t = await TestTown.create(STUCK);
    await escalateStuckWorker(t);
    const overseer = await t.mail('overseer');
    expect(overseer.filter((m) => m.type === 'escalation').map((m) => m.subject)).toEqual(['Polecat wyvern/nux on ' + (await t.records())[0]!.issueId + ' needs a person']);
    // The target keeps its copy: it reads it once it runs.
    expect((await t.mail('mayor')).some((m) => m.type === 'escalation')).toBe(true);

    const text = (await t.gt(['status'])).stdout.split('\n');
    expect(text[1]).toBe('');
    expect(text[2]).toMatch(/^Escalations for you \(1 unread; gt mail inbox overseer\):$/);
    expect(text[3]).toContain('needs a person');
    const json = statusJson((await t.gt(['status', '-o', 'json'])).stdout);
    expect(json.escalations).toHaveLength(1);
    expect(json.escalations[0]).toMatchObject({ from: 'wyvern/witness', subject: expect.stringContaining('needs a person') as string });
    // Read: no longer shown.
    expect((await t.gt(['mail', 'read', json.escalations[0]!.id, 'overseer'])).code).toBe(0);
    expect(statusJson((await t.gt(['status', '-o', 'json'])).stdout).escalations).toEqual([]);
  });

  it('with the mayor running, only the mayor gets it', async () => {
    t = await TestTown.create({ ...STUCK, townExtra: '  mayor:\n    enabled: true\n    agent:\n      command: ["gt", "demo-agent"]\n' });
    await until(() => t!.liveSessions().includes('gt-mayor'), 'the mayor to run');
    await escalateStuckWorker(t);
    expect((await t.mail('mayor')).some((m) => m.type === 'escalation')).toBe(true);
    expect((await t.mail('overseer')).filter((m) => m.type === 'escalation')).toEqual([]);
  });
});

describe('escalationRecipients (pure)', () => {
  it('the target, plus the Overseer when nobody reads the target or only a person can decide', async () => {
    const { escalationRecipients } = await import('../src/town/escalate.js');
    expect(escalationRecipients('mayor', new Set(['mayor']))).toEqual(['mayor']);
    expect(escalationRecipients('mayor', new Set())).toEqual(['mayor', 'overseer']);
    expect(escalationRecipients('mayor', new Set(['mayor']), true)).toEqual(['mayor', 'overseer']);
    expect(escalationRecipients('overseer', new Set(), true)).toEqual(['overseer']);
  });
});
