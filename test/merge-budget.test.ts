import { afterEach, describe, expect, it } from 'vitest';
import { doctorJson } from './support/json.js';
import { TestTown, until } from './support/workers.js';

/*
 * Work that can never succeed must stop, and say so: a branch whose tests fail on every attempt
 * is redone by its polecat (the scripted agent) until the rig's merge budget is spent, then the
 * issue is blocked, the Overseer told once, and gt status, gt diff and gt doctor show it.
 */

let town: TestTown | undefined;
afterEach(async () => {
  await town?.dispose();
  town = undefined;
});

const RED = `  mergeQueue:\n    testCommand: ["node", "-e", "console.error('TESTS RED: always'); process.exit(1)"]\n    maxAttempts: 2\n`;

describe('the merge attempt budget', () => {
  it('a branch that fails the tests every time is blocked after maxAttempts, once, visibly; gt issues retry gives a fresh budget', async () => {
    town = await TestTown.create({ workers: '    max: 1\n    spawnDelay: 0s\n', rigExtra: RED });
    const id = await town.createIssue('never green');
    await until(
      async () => {
        await town!.once();
        const issue = await town!.issue(id);
        const rejected = (issue.comments ?? []).filter((c) => c.text.startsWith('Merge rejected')).length;
        // Without a budget the polecat redoes the work forever.
        if (rejected > 3) throw new Error(`redone ${rejected} times and still going: ${issue.status}`);
        return issue.status === 'blocked';
      },
      'the issue to be blocked',
      90_000,
    );

    const issue = await town.issue(id);
    const texts = (issue.comments ?? []).map((c) => c.text);
    expect(texts.filter((t) => t.startsWith('Merge rejected'))).toHaveLength(1);
    const blocked = texts.find((t) => t.startsWith('Blocked:'));
    expect(blocked, texts.join('\n---\n')).toBeDefined();
    expect(blocked).toContain('rejected this branch 2 times');
    expect(blocked).toContain('TESTS RED: always');
    // Sent back once (attempt 1: "Merge rejected"); the second rejection is not sent back, it blocks.
    // The polecat is released: no worker, no session.
    expect(await town.records()).toEqual([]);
    expect(town.liveSessions()).toEqual([]);

    // Further passes change nothing and escalate no more.
    await town.once();
    await town.once();
    const overseer = (await town.mail('overseer')).filter((m) => m.subject.includes(id));
    expect(overseer).toHaveLength(1);
    expect(overseer[0]).toMatchObject({ type: 'escalation' });
    expect(overseer[0]!.body).toContain('TESTS RED: always');
    expect((await town.issue(id)).comments?.filter((c) => c.text.startsWith('Blocked:'))).toHaveLength(1);

    const status = await town.gt(['status']);
    expect(status.stdout).toContain('IssueBlocked');
    expect(status.stdout).toContain(id);
    const diff = await town.gt(['diff']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('IssueBlocked');
    const doctor = await town.gt(['doctor', '-o', 'json']);
    expect(doctor.code).toBe(1);
    const f = doctorJson(doctor.stdout).findings.find((x) => x.code === 'GT-ISSUE-BLOCKED');
    expect(f, doctor.stdout).toMatchObject({ subject: `wyvern/${id}` });
    expect(f!.fix).toContain(`gt issues retry ${id}`);

    // A fresh budget: the issue is ready again and goes back to its polecat.
    const retry = await town.gt(['issues', 'retry', id, '-o', 'json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ id, status: 'open', rejections: 2 });
    const after = await town.gt(['diff']);
    expect(after.stdout).not.toContain('IssueBlocked');
    expect(after.stdout).toContain(`+ polecat nux on ${id}`);
  });
});
