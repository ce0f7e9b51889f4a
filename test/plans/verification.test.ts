import { describe, expect, it } from 'vitest';
import { verificationProblems, type VerifyFacts } from '../../src/workers/verification.js';

// Finished work is handed on only when nothing of it lives only in the clone: committed, no
// stash, at least one commit, and exactly HEAD pushed to the branch.

const ok: VerifyFacts = { dirty: 0, stashes: 0, head: 'abc', remoteHead: 'abc', ahead: 1, unpushed: 0 };
const B = 'polecat/nux/w-1';

describe('verificationProblems', () => {
  it.each<[string, VerifyFacts | undefined, string[]]>([
    ['committed, pushed, one commit: ready', ok, []],
    ['many commits: ready', { ...ok, ahead: 7 }, []],
    ['the clone is gone', undefined, ['the clone is missing']],
    ['one uncommitted change', { ...ok, dirty: 1 }, ['1 uncommitted change']],
    ['several uncommitted changes', { ...ok, dirty: 3 }, ['3 uncommitted changes']],
    ['a stash', { ...ok, stashes: 1 }, ['1 stash']],
    ['stashes', { ...ok, stashes: 2 }, ['2 stashes']],
    ['nothing committed on the branch', { ...ok, ahead: 0 }, ['no commit on the branch']],
    ['the branch is not on the remote', { ...ok, remoteHead: undefined }, [`branch ${B} is not on the remote (git push origin HEAD:${B})`]],
    ['the remote has an older push', { ...ok, remoteHead: 'old' }, [`the remote's ${B} is not your HEAD (push again)`]],
    ['a detached or unborn HEAD never matches the remote', { ...ok, head: undefined }, [`the remote's ${B} is not your HEAD (push again)`]],
    [
      'everything wrong at once: every problem, in order',
      { dirty: 2, stashes: 1, head: 'abc', remoteHead: undefined, ahead: 0, unpushed: 3 },
      ['2 uncommitted changes', '1 stash', 'no commit on the branch', `branch ${B} is not on the remote (git push origin HEAD:${B})`],
    ],
  ])('%s', (_name, facts, problems) => {
    expect(verificationProblems(facts, B)).toEqual(problems);
  });
});
