import { describe, expect, it } from 'vitest';
import type { DesiredSession } from '../controllers/session-cycle/desired.js';
import type { SessionsObserved } from '../controllers/session-cycle/observe.js';
import { planSessions } from '../controllers/session-cycle/plan.js';

const now = Date.parse('2026-11-25T12:00:00.000Z');
const at = (minAgo: number) => new Date(now - minAgo * 60_000).toISOString();
const mayor: DesiredSession = {
  name: 'gt-mayor',
  role: 'mayor',
  rig: '',
  address: 'mayor',
  home: '/town/mayor',
  promptFile: '/town/.gt/prompts/_town/gt-mayor.md',
  instructions: 'be the mayor',
  launch: { argv: ['agent'], env: {}, fingerprint: 'f1' },
  enabled: true,
  settings: { idleAfterMs: 10_000, handoffTimeoutMs: 30_000, restartBackoffMs: 5_000, maxRestarts: 3 },
};

function dead(crashes: string[]): SessionsObserved {
  return {
    root: '/town',
    inheritedPath: '/usr/bin:/bin',
    now,
    contractReady: true,
    sessions: { 'gt-mayor': { tmux: { alive: false, activityAt: now - 60_000 }, record: { name: 'gt-mayor', starts: [...crashes], crashes }, state: {}, unread: { count: 0 } } },
  };
}

describe('planSessions: crash loops (pure)', () => {
  it('a session that never stays up 10 minutes is left stopped, however slowly it dies', () => {
    // Dies every 8 minutes: never 3 crashes within one 10-minute window, yet never healthy.
    expect(planSessions([mayor], dead([at(24), at(16), at(8)]), 1).actions).toEqual([{ type: 'escalateCrashLoop', session: 'gt-mayor', crashes: 4 }]);
  });

  it('a session that ran 10 minutes since its last crash is restarted', () => {
    expect(planSessions([mayor], dead([at(40), at(32), at(24)]), 1).actions).toEqual([{ type: 'startSession', session: 'gt-mayor', reason: 'crashed' }]);
  });

  it('left stopped until the spec or the agent launch changes (a Town agent change re-arms it too)', () => {
    const o = dead([at(24), at(16), at(8)]);
    o.sessions['gt-mayor']!.record!.crashLoop = { at: at(7), generation: 1, fingerprint: 'f1' };
    expect(planSessions([mayor], o, 1).findings.map((f) => f.code)).toEqual(['SessionCrashLooping']);
    const relaunched = { ...mayor, launch: { ...mayor.launch, fingerprint: 'f2' } };
    const p = planSessions([relaunched], o, 1);
    expect(p.findings).toEqual([]);
    expect(p.actions).toEqual([{ type: 'startSession', session: 'gt-mayor', reason: 'crashed' }]);
  });
});
