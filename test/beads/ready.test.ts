import { describe, expect, it } from 'vitest';
import { Readiness, readyIssues } from '../../src/beads/ready.js';
import type { Issue } from '../../src/beads/record.js';
import { issue } from './support.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const ready = (issues: Issue[]) => readyIssues(issues, NOW).map((i) => i.id);

describe('readyIssues, as bd ready', () => {
  it('offers only open issues', () => {
    const statuses = ['open', 'in_progress', 'blocked', 'deferred', 'closed', 'pinned', 'hooked'];
    expect(ready(statuses.map((status) => issue(status, { status })))).toEqual(['open']);
  });

  it('holds back an issue blocked by an unclosed issue, for blocks and conditional-blocks alike', () => {
    const issues = [issue('blocker'), issue('wip', { status: 'in_progress' }), issue('by-open', { deps: [['blocks', 'blocker']] }), issue('by-wip', { deps: [['conditional-blocks', 'wip']] })];
    expect(ready(issues)).toEqual(['blocker']);
  });

  it('releases an issue once its blocker is closed, and ignores blockers that are not in the file', () => {
    const issues = [
      issue('done', { status: 'closed', closed_at: '2026-01-02T00:00:00Z' }),
      issue('a', { deps: [['blocks', 'done']] }),
      issue('b', { deps: [['conditional-blocks', 'done']] }),
      issue('c', { deps: [['blocks', 'gone']] }),
      issue('d', { deps: [['blocks', 'external:other:capability']] }),
    ];
    expect(ready(issues)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('does not let related, discovered-from or parent-child edges block by themselves', () => {
    const issues = [
      issue('x'),
      issue('y', {
        deps: [
          ['related', 'x'],
          ['discovered-from', 'x'],
          ['parent-child', 'x'],
        ],
      }),
    ];
    expect(ready(issues)).toEqual(['x', 'y']);
  });

  it('propagates blocking from a blocked parent to its children and grandchildren, but not through a closed child (bd never marks a closed issue blocked)', () => {
    const issues = [
      issue('blocker'),
      issue('epic', { issue_type: 'epic', deps: [['blocks', 'blocker']] }),
      issue('child', { deps: [['parent-child', 'epic']] }),
      issue('closed-child', { status: 'closed', deps: [['parent-child', 'epic']] }),
      issue('grandchild', { deps: [['parent-child', 'child']] }),
      issue('below-closed', { deps: [['parent-child', 'closed-child']] }),
      issue('free-epic', { issue_type: 'epic' }),
      issue('free-child', { deps: [['parent-child', 'free-epic']] }),
    ];
    expect(ready(issues)).toEqual(['below-closed', 'blocker', 'free-child', 'free-epic']);
    expect(new Readiness(issues, NOW).whyNotReady('grandchild')).toBe('grandchild is blocked because its parent child is blocked');
  });

  it('hides an issue deferred into the future, and its direct children; a past defer_until does not count', () => {
    const issues = [
      issue('past', { defer_until: '2026-05-31T12:00:00Z' }),
      issue('future', { defer_until: '2026-06-01T14:00:00+01:00' }),
      issue('child-of-future', { deps: [['parent-child', 'future']] }),
      issue('just-now', { defer_until: '2026-06-01T12:00:00Z' }),
    ];
    expect(ready(issues)).toEqual(['just-now', 'past']);
    expect(new Readiness(issues, NOW).whyNotReady('future')).toBe('future is deferred until 2026-06-01T14:00:00+01:00');
  });

  it('counts epics, bugs, features and chores as work, but not messages, molecules, gates, agents and their kin', () => {
    const types = ['epic', 'bug', 'feature', 'chore', 'task', 'message', 'molecule', 'gate', 'agent', 'merge-request', 'role', 'rig'];
    expect(ready(types.map((t) => issue(t, { issue_type: t })))).toEqual(['bug', 'chore', 'epic', 'feature', 'task']);
  });

  it('leaves out pinned context beads', () => {
    expect(ready([issue('pinned', { pinned: true }), issue('work')])).toEqual(['work']);
  });

  it('leaves out ephemeral issues (wisps), which still hold up what they block', () => {
    const issues = [issue('wisp', { ephemeral: true }), issue('after-wisp', { deps: [['blocks', 'wisp']] }), issue('work')];
    expect(ready(issues)).toEqual(['work']);
  });

  it('orders by priority, then oldest creation (offsets honoured), then id', () => {
    const issues = [
      issue('p2-new', { created_at: '2026-03-01T00:00:00Z' }),
      issue('p0', { priority: 0, created_at: '2026-05-01T00:00:00Z' }),
      issue('p2-old-b', { created_at: '2026-01-01T10:00:00+02:00' }),
      issue('p2-old-a', { created_at: '2026-01-01T08:00:00Z' }),
      issue('p2-older', { created_at: '2026-01-01T09:00:00Z' }),
      issue('p4', { priority: 4, created_at: '2020-01-01T00:00:00Z' }),
      issue('p2-same-b', { created_at: '2026-02-01T00:00:00.001Z' }),
      issue('p2-same-a', { created_at: '2026-02-01T01:00:00.001+01:00' }),
    ];
    expect(ready(issues)).toEqual(['p0', 'p2-old-a', 'p2-old-b', 'p2-older', 'p2-same-a', 'p2-same-b', 'p2-new', 'p4']);
  });

  it('waits for the children of a spawner: all of them, or the first', () => {
    const issues = [
      issue('spawner', { status: 'closed' }),
      issue('kid-1', { status: 'closed', deps: [['parent-child', 'spawner']] }),
      issue('kid-2', { status: 'in_progress', deps: [['parent-child', 'spawner']] }),
      { ...issue('all'), dependencies: [{ issue_id: 'all', depends_on_id: 'spawner', type: 'waits-for' }] },
      { ...issue('any'), dependencies: [{ issue_id: 'any', depends_on_id: 'spawner', type: 'waits-for', metadata: '{"gate":"any-children"}' }] },
    ];
    expect(ready(issues)).toEqual(['any']);
  });

  it('terminates on dependency cycles and blocks every issue on the cycle', () => {
    const issues = [
      issue('a', { deps: [['blocks', 'b']] }),
      issue('b', { deps: [['blocks', 'a']] }),
      issue('p', {
        deps: [
          ['parent-child', 'q'],
          ['blocks', 'a'],
        ],
      }),
      issue('q', { deps: [['parent-child', 'p']] }),
      issue('free'),
    ];
    expect(ready(issues)).toEqual(['free']);
  });

  // How fast is bench/'s question (ready over 50,000 issues); here: right at that size, no stack overflow.
  it('handles a 20,000-deep parent chain among 50,000 issues', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => issue(`c${i}`, { deps: i === 0 ? [['blocks', 'root']] : [['parent-child', `c${i - 1}`]] }));
    const rest = Array.from({ length: 30_000 }, (_, i) => issue(`r${i}`, { priority: i % 5, deps: i > 0 ? [['blocks', `r${i - 1}`]] : [] }));
    const result = readyIssues([issue('root'), ...chain, ...rest], NOW);
    expect(result.map((i) => i.id)).toEqual(['r0', 'root']);
  });
});
