import { describe, expect, it } from 'vitest';
import { checkInvariants, type Facts } from './invariants.js';

/** A converged town where everything is as it must be: one issue, merged once, nothing left. */
function healthy(): Facts {
  return {
    agentCommits: [{ sha: 'a1', issue: 'w-1', polecat: 'nux', clone: '/t/w/polecats/nux' }],
    remoteCommits: ['a1', 'c0ffee1', 'b0'],
    clones: [],
    reportedClones: [],
    issues: [
      { id: 'w-0', status: 'in_progress', type: 'epic', externalRef: 'gt:swarm/s/epic' },
      { id: 'w-1', status: 'closed', type: 'task', externalRef: 'gt:swarm/s/a', closeReason: 'merged into main as c0ffee1' },
    ],
    mainSubjects: ['Merge polecat/nux/w-1: w-1 do a', 'initial'],
    mainCommits: ['c0ffee1', 'a1', 'b0'],
    doubleClaims: [],
    workerRecords: [],
    sessions: [],
    polecatSession: (p) => `gt-w-${p}`,
    roleSessions: ['gt-mayor'],
    cloneDirs: [{ path: '/t/w/refinery/rig', whole: true }],
    locks: [],
    pushes: [{ sha: 'c0ffee1', exit: 0 }],
    storeFiles: [{ file: '.gt/store/rig/w.json', parses: true }],
    inboxes: [{ file: 'mayor/mail/inbox.jsonl', lines: ['{"id":"msg-1"}', ''], quarantined: '' }],
    mailSent: [{ inboxFile: 'mayor/mail/inbox.jsonl', id: 'msg-1' }],
    inboxFragments: [],
    eventLines: ['{"seq":1}', ''],
    eventFragments: [],
    diff: { code: 0, passes: 1, maxPasses: 30 },
    doctorFindings: [],
    personFindings: ['GT-ISSUE-BLOCKED'],
  };
}

const invariantsOf = (f: Facts) => checkInvariants(f).map((v) => v.invariant);

describe('chaos invariants', () => {
  it('a healthy converged town violates nothing', () => {
    expect(checkInvariants(healthy())).toEqual([]);
  });

  it('no lost work: a commit on no remote ref whose clone was deleted, or kept but not reported', () => {
    const lost = { ...healthy(), agentCommits: [{ sha: 'x9', issue: 'w-2', polecat: 'toast', clone: '/t/w/polecats/toast' }] };
    expect(checkInvariants(lost)[0]?.message).toMatch(/x9.*clone .*toast was deleted/);
    const kept = { ...lost, clones: [{ path: '/t/w/polecats/toast', commits: ['x9'] }] };
    expect(checkInvariants(kept)[0]?.message).toMatch(/gt does not report/);
    expect(checkInvariants({ ...kept, reportedClones: ['/t/w/polecats/toast'] })).toEqual([]);
  });

  it('nothing twice: a task issue made twice, a branch merged twice, a close without its merge, two polecats on one issue', () => {
    const f = healthy();
    expect(invariantsOf({ ...f, issues: [...f.issues, { id: 'w-9', status: 'open', type: 'task', externalRef: 'gt:swarm/s/a' }] })).toEqual(['nothing twice']);
    expect(checkInvariants({ ...f, mainSubjects: [...f.mainSubjects, 'Merge polecat/nux/w-1: w-1 do a'] })[0]?.message).toMatch(/merged into main 2 times/);
    expect(checkInvariants({ ...f, issues: [{ id: 'w-1', status: 'closed', type: 'task', closeReason: 'merged into main as ff00ff00' }] })[0]?.message).toMatch(/not on main/);
    expect(checkInvariants({ ...f, issues: [{ id: 'w-5', status: 'closed', type: 'task', closeReason: 'done' }] })[0]?.message).toMatch(/closed without a merge/);
    const two = [
      { name: 'nux', issueId: 'w-3', state: 'working', file: 'nux.json', parses: true },
      { name: 'toast', issueId: 'w-3', state: 'working', file: 'toast.json', parses: true },
    ];
    expect(checkInvariants({ ...f, workerRecords: two, sessions: ['gt-w-nux', 'gt-w-toast'] }).map((v) => v.message)).toEqual(['polecats nux and toast both hold w-3']);
  });

  it('no orphans: an unexplained session, a record without session or reason, a partial clone, a stale lock', () => {
    const f = healthy();
    expect(checkInvariants({ ...f, sessions: ['gt-w-ghost'] })[0]?.message).toMatch(/gt-w-ghost is explained by no stored object/);
    expect(checkInvariants({ ...f, sessions: ['gt-mayor'] })).toEqual([]);
    expect(checkInvariants({ ...f, workerRecords: [{ name: 'nux', issueId: 'w-3', state: 'working', file: 'nux.json', parses: true }] })[0]?.message).toMatch(/no session and no reported reason/);
    expect(checkInvariants({ ...f, workerRecords: [{ name: 'nux', issueId: 'w-3', state: 'stalled', file: 'nux.json', parses: true }] })).toEqual([]);
    expect(invariantsOf({ ...f, cloneDirs: [{ path: '/t/w/polecats/nux', whole: false }] })).toEqual(['no orphans']);
    expect(invariantsOf({ ...f, locks: [{ file: '.gt/lock', holderAlive: false }] })).toEqual(['no orphans']);
  });

  it('main is green: a pushed commit whose tests failed', () => {
    expect(invariantsOf({ ...healthy(), pushes: [{ sha: 'c0ffee1', exit: 1 }] })).toEqual(['main is green']);
  });

  it('store and inboxes parse: a torn inbox line kept or quarantined is fine; one glued to a message, or dropped, is not', () => {
    const f = healthy();
    const torn = '{"id":"msg-torn","subj';
    const keptTorn = {
      ...f,
      inboxFragments: [{ inboxFile: 'mayor/mail/inbox.jsonl', text: torn }],
      inboxes: [{ file: 'mayor/mail/inbox.jsonl', lines: ['{"id":"msg-1"}', ''], quarantined: `${torn}\n` }],
    };
    expect(checkInvariants(keptTorn)).toEqual([]);
    expect(checkInvariants({ ...keptTorn, inboxes: [{ file: 'mayor/mail/inbox.jsonl', lines: ['{"id":"msg-1"}', torn, ''], quarantined: '' }] })).toEqual([]);
    const glued = { ...keptTorn, inboxes: [{ file: 'mayor/mail/inbox.jsonl', lines: [`${torn}{"id":"msg-1"}`, ''], quarantined: '' }] };
    expect(checkInvariants(glued).map((v) => v.message)).toEqual([
      `mayor/mail/inbox.jsonl:1 does not parse and is not a torn line alone: ${torn}{"id":"msg-1"}`,
      'message msg-1 sent to mayor/mail/inbox.jsonl is gone',
    ]);
    const dropped = { ...keptTorn, inboxes: [{ file: 'mayor/mail/inbox.jsonl', lines: ['{"id":"msg-1"}'], quarantined: '' }] };
    expect(checkInvariants(dropped)[0]?.message).toMatch(/dropped, not quarantined/);
    expect(invariantsOf({ ...f, storeFiles: [{ file: '.gt/store/swarm/s.json', parses: false }] })).toEqual(['store and inboxes parse']);
    const event = '{"seq":9,"ty';
    expect(checkInvariants({ ...f, eventFragments: [event], eventLines: ['{"seq":1}', event, '{"seq":2}'] })).toEqual([]);
    expect(checkInvariants({ ...f, eventFragments: [event], eventLines: ['{"seq":1}', `${event}{"seq":2}`] })[0]?.message).toMatch(/an event was lost/);
  });

  it('converged: gt diff not clean, or clean too late, or a doctor finding nobody needs to see', () => {
    const f = healthy();
    expect(invariantsOf({ ...f, diff: { code: 1, passes: 30, maxPasses: 30 } })).toEqual(['converged']);
    expect(invariantsOf({ ...f, diff: { code: 0, passes: 31, maxPasses: 30 } })).toEqual(['converged']);
    expect(checkInvariants({ ...f, doctorFindings: [{ code: 'GT-ISSUE-BLOCKED', message: 'w-7 blocked' }] })).toEqual([]);
    expect(invariantsOf({ ...f, doctorFindings: [{ code: 'GT-ORPHAN-SESSION', message: 'gt-w-x' }] })).toEqual(['converged']);
  });
});
