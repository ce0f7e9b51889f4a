import { describe, expect, it } from 'vitest';
import { planRig } from '../controllers/rig/plan.js';
import { rigLayout, type RigObserved } from '../controllers/rig/observe.js';
import type { Rig } from '../src/model/objects.js';
import type { CloneState } from '../src/adapters/git.js';
import { withDefaults } from './support/manifests.js';

const rig: Rig = withDefaults('Rig', 'wyvern', { gitUrl: '/srv/wyvern.git', defaultBranch: 'main', beads: { prefix: 'wy' } });
const clean: CloneState = { state: 'repo', remoteUrl: '/srv/wyvern.git', work: { branch: 'main', dirty: 0, stashes: 0, unpushed: 0 } };

function observed(over: Partial<RigObserved> = {}): RigObserved {
  const l = rigLayout('wyvern');
  return {
    paths: {
      dirs: Object.fromEntries(l.dirs.map((d) => [d, true])),
      files: { [l.config]: undefined, [l.beadsConfig]: 'issue-prefix: "wy"\n' },
      present: { [l.issues]: true },
    },
    clones: { refinery: clean, mayor: clean },
    partials: [],
    polecats: [],
    beadsLines: 0,
    workers: [],
    roleSessions: [],
    bdDatabase: false,
    remoteHead: undefined,
    ...over,
  };
}

describe('planRig (pure)', () => {
  it('seeds an empty issues.jsonl, except where bd keeps a database and the file is its export', () => {
    const l = rigLayout('wyvern');
    const noExport = (bdDatabase: boolean) => observed({ bdDatabase, paths: { ...observed().paths, present: { [l.issues]: false } } });
    expect(JSON.stringify(planRig(rig, false, noExport(false)).actions)).toContain(l.issues);
    expect(JSON.stringify(planRig(rig, false, noExport(true)).actions)).not.toContain(l.issues);
  });

  it('plans only what is missing, and the same input always gives the same plan', () => {
    const o = observed({ clones: { refinery: { state: 'missing' }, mayor: clean } });
    const p1 = planRig(rig, false, o);
    const p2 = planRig(rig, false, structuredClone(o));
    expect(p1).toEqual(p2);
    expect(p1.actions.map((a) => a.type)).toEqual(['renderFile', 'createClone']);
    expect(p1.actions[1]).toEqual({ type: 'createClone', role: 'refinery', path: 'wyvern/refinery/rig', url: '/srv/wyvern.git', branch: 'main' });
  });

  it('reports a changed beads prefix instead of rewriting it', () => {
    const o = observed();
    o.paths.files['wyvern/.beads/config.yaml'] = 'issue-prefix: "old"\n';
    const p = planRig(rig, false, o);
    expect(p.findings.map((f) => f.code)).toEqual(['BeadsPrefixMismatch']);
    expect(p.actions.some((a) => 'path' in a && a.path === 'wyvern/.beads/config.yaml')).toBe(false);
  });

  it('a directory that is not a clone is reported, never cloned over', () => {
    const p = planRig(rig, false, observed({ clones: { refinery: { state: 'notRepo' }, mayor: clean } }));
    expect(p.findings.map((f) => f.code)).toContain('CloneNotARepository');
    expect(p.actions.some((a) => a.type === 'createClone')).toBe(false);
  });

  it('removal removes nothing at all while any clone holds work', () => {
    for (const work of [{ dirty: 2 }, { stashes: 1 }, { unpushed: 3 }, { unpushed: Infinity }]) {
      const p = planRig(
        rig,
        true,
        observed({ polecats: [{ path: 'wyvern/polecats/nux', state: { state: 'repo', remoteUrl: '/srv/wyvern.git', work: { branch: 'main', dirty: 0, stashes: 0, unpushed: 0, ...work } } }] }),
      );
      expect(p.actions).toEqual([]);
      expect(p.findings.map((f) => f.code)).toEqual(['RemovalBlockedByWork']);
    }
  });

  it('removal of a clean rig removes clones, then the directory (keeping issues), then the record', () => {
    const p = planRig(rig, true, observed({ beadsLines: 4 }));
    expect(p.actions).toEqual([
      { type: 'removeClone', path: 'wyvern/refinery/rig' },
      { type: 'removeClone', path: 'wyvern/mayor/rig' },
      { type: 'removeRigDir', path: 'wyvern', keepBeads: true },
      { type: 'finalize', name: 'wyvern' },
    ]);
  });
});

describe('planRig removal and working polecats (pure)', () => {
  it('waits for its witness, refinery and plugin sessions to end before removing anything', () => {
    const p = planRig(rig, true, observed({ roleSessions: ['gt-wyvern-witness'] }));
    expect(p.actions).toEqual([]);
    expect(p.notes).toEqual(['Rig "wyvern" is removed once sessions gt-wyvern-witness have ended']);
    expect(p.requeueAfterMs).toBeGreaterThan(0);
  });

  it('waits for working polecats before removing anything', () => {
    const p = planRig(rig, true, observed({ workers: ['nux'] }));
    expect(p.actions).toEqual([]);
    expect(p.findings.map((f) => f.code)).toEqual(['RemovalBlockedByWorkers']);
  });
});
