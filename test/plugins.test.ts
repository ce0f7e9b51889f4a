import { afterEach, describe, expect, it } from 'vitest';
import { MergeTown } from './support/merge.js';
import { TestTown, until } from './support/workers.js';

/**
 * Plugins are agents (examples/agents/scripted-session.mjs answers with its --verdict): gt mails
 * them at a hook point, the session-cycle controller tells their session about the mail, and
 * their reply steers the merge queue or the worker pool. A silent plugin times out to its default.
 */
function plugin(hooks: string, verdict: string, extra = ''): string {
  return `---
apiVersion: gastown.dev/v1alpha1
kind: Plugin
metadata:
  name: reviewer
spec:
  rig: wyvern
  instructions: Review what you are asked about.
  hooks: [${hooks}]
  agent:
    command: ["gt", "demo-agent", "--verdict", "${verdict}"]
  session:
    idleAfter: 500ms
${extra}`;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function mergeTown(verdict: string): Promise<MergeTown> {
  const t = await MergeTown.create({ strategy: 'merge', extraManifests: plugin('beforeMerge', verdict, '  timeout: 30s\n  defaultVerdict: escalate\n').replace(/^---\n/, '') });
  cleanup.push(() => t.dispose());
  return t;
}

describe('beforeMerge: a plugin agent decides', () => {
  it('proceed from the plugin session merges the branch', async () => {
    const t = await mergeTown('proceed');
    const main = t.remoteMain();
    const p = await t.prepare(await t.createIssue('reviewed by a plugin'), 'nux', { 'a.txt': 'a\n' });
    await until(
      async () => {
        await t.once();
        return t.remoteMain() !== main;
      },
      'the plugin to answer and the merge to happen',
      40_000,
    );
    const answers = await t.mail('wyvern/refinery');
    expect(answers.find((m) => m.from === 'wyvern/plugins/reviewer' && m.body === 'proceed')).toBeDefined();
    expect((await t.issue(p.issueId)).status).toBe('closed');
  });

  it('escalate from the plugin session holds the merge and tells the mayor', async () => {
    const t = await mergeTown('escalate');
    const main = t.remoteMain();
    const p = await t.prepare(await t.createIssue('the plugin says no'), 'nux', { 'a.txt': 'a\n' });
    await until(async () => (await t.once()).includes(`hold ${p.issueId}`), 'the merge to be held', 40_000);
    expect(t.remoteMain()).toBe(main);
    expect((await t.mail('mayor')).map((m) => m.subject)).toContain(`Merge held: ${p.issueId}`);
  });
});

describe('onWorkerStuck: a plugin agent decides', () => {
  it('escalate: the stuck polecat is escalated without nudges; a silent plugin times out to proceed (a nudge)', async () => {
    const t = await TestTown.create({ agentArgs: ['--mode', 'stuck'], workers: '    max: 1\n    spawnDelay: 0s\n    stuckAfter: 1s\n', rigExtra: plugin('onWorkerStuck', 'escalate') });
    cleanup.push(() => t.dispose());
    const id = await t.createIssue('never finishes');
    await t.once();
    await until(async () => (await t.records())[0]?.state === 'stalled' || ((await t.once()) && false), 'the plugin to escalate the polecat', 40_000);
    const r = (await t.records())[0]!;
    expect(r.nudges).toBe(0);
    expect((await t.mail('wyvern/plugins/reviewer')).map((m) => m.subject)).toContain(`onWorkerStuck ${id}: polecat nux`);
    expect((await t.mail('mayor')).map((m) => m.subject)).toContain(`Polecat wyvern/nux on ${id} needs a person`);

    const silent = await TestTown.create({
      agentArgs: ['--mode', 'stuck'],
      workers: '    max: 1\n    spawnDelay: 0s\n    stuckAfter: 1s\n',
      rigExtra: plugin('onWorkerStuck', 'none', '  timeout: 1s\n  defaultVerdict: proceed\n'),
    });
    cleanup.push(() => silent.dispose());
    await silent.createIssue('never finishes either');
    await silent.once();
    await until(async () => ((await silent.records())[0]?.nudges ?? 0) > 0 || ((await silent.once()) && false), 'the timeout to let the nudge through', 40_000);
    expect((await silent.records())[0]!.state).toBe('working');
  });
});
