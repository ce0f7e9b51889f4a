import { describe, expect, it } from 'vitest';
import { cloneIsDisposable, heldWork, unsafeToDelete } from '../src/policy/clone-safety.js';
import type { CloneState } from '../src/adapters/git.js';

// One rule answers for the rig controller, the worker pool, gt stop and gt doctor: the same facts
// give the same verdict whichever of them asks.
const clean = { dirty: 0, stashes: 0, unpushed: 0 };
const work: [string, { dirty: number; stashes: number; unpushed: number }, string | undefined][] = [
  ['clean', clean, undefined],
  ['uncommitted', { ...clean, dirty: 1 }, '1 uncommitted change'],
  ['uncommitted, several', { ...clean, dirty: 3 }, '3 uncommitted changes'],
  ['stashed', { ...clean, stashes: 1 }, '1 stash'],
  ['stashed, several', { ...clean, stashes: 2 }, '2 stashes'],
  ['unpushed', { ...clean, unpushed: 1 }, '1 unpushed commit'],
  ['unpushed, several', { ...clean, unpushed: 4 }, '4 unpushed commits'],
  ['unpushed, could not tell', { ...clean, unpushed: Infinity }, 'commits that may be unpushed'],
  ['all at once', { dirty: 2, stashes: 1, unpushed: 1 }, '2 uncommitted changes, 1 stash, 1 unpushed commit'],
];

describe('clone safety (one rule)', () => {
  it.each(work)('%s: held work, disposable, unsafe to delete agree', (_, w, held) => {
    expect(heldWork(w)).toBe(held);
    expect(cloneIsDisposable(w)).toBe(held === undefined);
    const state: CloneState = { state: 'repo', remoteUrl: '/srv/r.git', work: { branch: 'main', ...w } };
    expect(unsafeToDelete(state)).toBe(held === undefined ? undefined : `has ${held}`);
  });

  it.each<[string, CloneState, string | undefined]>([
    ['a missing clone loses nothing', { state: 'missing' }, undefined],
    ['a directory that is not a clone may be work', { state: 'notRepo' }, "is not a git clone (its files may be someone's work)"],
    ['a clone not inspected is never judged empty', { state: 'repo', remoteUrl: '/srv/r.git' }, 'was not inspected for work'],
  ])('%s', (_, state, why) => {
    expect(unsafeToDelete(state)).toBe(why);
  });

  it('a polecat clone with no facts gathered is not disposable', () => {
    expect(cloneIsDisposable(undefined)).toBe(false);
  });
});
