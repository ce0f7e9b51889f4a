import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gateOnAgentScreens } from '../../controllers/worker-pool/agent-screen.js';
import type { PoolObserved, SessionView } from '../../controllers/worker-pool/observed.js';
import type { WorkerRecord } from '../../src/workers/records.js';
import { REPO_ROOT } from '../support/town.js';
import { poolObserved } from '../support/pool.js';

// What the worker pool does with a recognised agent screen (gateOnAgentScreens, pure), as a
// table: escalated once, restarted when the Overseer changed the agent (the fix reaches only a
// new session), never re-escalated for an old session's screen.

const now = Date.parse('2026-11-25T12:00:00.000Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString();
const LOGIN = readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'agent-screens', 'codex', 'needs-login.txt'), 'utf8');
const OLD = 'agent-old';
const NEW = 'agent-new';

const worker = (over: Partial<WorkerRecord> = {}): WorkerRecord => ({
  name: 'nux',
  rig: 'wyvern',
  issueId: 'w-1',
  branch: 'polecat/nux/w-1',
  state: 'working',
  createdAt: ago(600),
  starts: [ago(600)],
  nudges: 0,
  rejectedDone: 0,
  ...over,
});
const session = (over: Partial<SessionView> = {}): SessionView => ({ name: 'gt-wyvern-nux', alive: true, polecat: 'nux', activityAt: now - 1000, agent: OLD, screen: LOGIN, ...over });
const observed = (r: WorkerRecord, s: SessionView): PoolObserved => poolObserved(now, { records: [r], sessions: [s] });
const reported = { code: 'AgentNeedsLogin' as const, message: 'm', at: ago(300), agent: OLD };

const cases: { name: string; r: WorkerRecord; s: SessionView; agent: string; want: string[] }[] = [
  { name: 'first sight of a login screen: reported (escalated) once, nothing restarted', r: worker(), s: session(), agent: OLD, want: ['reportAgentCondition'] },
  { name: 'the same screen again under the same agent: nothing new', r: worker({ agentCondition: reported }), s: session(), agent: OLD, want: [] },
  {
    name: 'the agent changed (a key put in agent.env) while the old session waits at its login: restarted, not reported again',
    r: worker({ agentCondition: reported }),
    s: session(),
    agent: NEW,
    want: ['restartSession'],
  },
  {
    name: 'the agent changed and the old session died on the condition: restarted at once, not reported again',
    r: worker({ agentCondition: reported }),
    s: session({ alive: false }),
    agent: NEW,
    want: ['restartSession'],
  },
  { name: 'the new agent shows the condition too: reported under the new agent', r: worker({ agentCondition: reported }), s: session({ agent: NEW }), agent: NEW, want: ['reportAgentCondition'] },
];

describe('agent screens in the worker pool', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = gateOnAgentScreens({ actions: [], findings: [] }, observed(c.r, c.s), 'codex', c.agent);
      expect(plan.actions.map((a) => a.type)).toEqual(c.want);
      expect(plan.findings.map((f) => f.code)).toEqual(['AgentNeedsLogin']);
    });
  }
});
