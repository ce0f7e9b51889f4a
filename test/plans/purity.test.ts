import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mayorSession, rigSessions } from '../../controllers/session-cycle/desired.js';
import { planTown, TOWN_DIRS, type TownObserved } from '../../controllers/town/plan.js';
import { renderGtShim, renderRigsJson, renderTownJson } from '../../controllers/town/render.js';
import { REPO_ROOT } from '../support/town.js';
import { withDefaults } from '../support/manifests.js';

// A plan is a function of (desired, observed): what it needs of the machine (gt's PATH, the
// running node and CLI, the clock) comes in as an observed fact, so gt diff and gt run plan alike
// and a table test can state every fact.

const PLAN_FILES = readdirSync(path.join(REPO_ROOT, 'controllers'), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .flatMap((e) => ['plan.ts', 'desired.ts', 'deletion.ts', 'refs.ts'].map((f) => path.join('controllers', e.name, f)))
  .filter((f) => readdirSync(path.join(REPO_ROOT, path.dirname(f))).includes(path.basename(f)));

describe('plans read nothing of the machine', () => {
  it('finds the plan files it checks', () => {
    expect(PLAN_FILES).toEqual(
      expect.arrayContaining([
        'controllers/town/plan.ts',
        'controllers/session-cycle/plan.ts',
        'controllers/session-cycle/desired.ts',
        'controllers/worker-pool/plan.ts',
        'controllers/merge-queue/plan.ts',
      ]),
    );
  });

  it.each(PLAN_FILES)('%s uses no process.*, node:fs or clock', (file) => {
    const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
    expect(text).not.toMatch(/\bprocess\.|from 'node:fs|Date\.now\(\)|new Date\(\)/);
  });
});

const town = withDefaults('Town', 'wyvern', { root: '/srv/town', mayor: { enabled: true } });
const stored = <M>(manifest: M) => ({ manifest, generation: 1, createdAt: '', updatedAt: '', lastApplied: {} });

describe("the sessions' PATH is an observed fact", () => {
  it.each([
    ['/usr/local/bin:/usr/bin', {}, '/srv/town/.gt/bin:/usr/local/bin:/usr/bin'],
    ['/opt/other', {}, '/srv/town/.gt/bin:/opt/other'],
    // The agent's own PATH replaces the inherited one; the town's bin stays first.
    ['/usr/bin', { PATH: '/mine' }, '/srv/town/.gt/bin:/mine'],
  ])('inherited %s, agent env %j: PATH %s', (inheritedPath, env, want) => {
    const t = withDefaults('Town', 'wyvern', { root: '/srv/town', mayor: { enabled: true }, agent: { env } });
    expect(mayorSession({ root: '/srv/town', inheritedPath }, stored(t)).launch.env.PATH).toBe(want);
  });

  it("a changed PATH is no drift: the sessions' fingerprint does not depend on it", () => {
    const rig = withDefaults('Rig', 'gw', { gitUrl: '/srv/gw.git', witness: { enabled: true } });
    const world = { town: stored(town), objects: [stored(town), stored(rig)] };
    const [a] = rigSessions({ root: '/srv/town', inheritedPath: '/a' }, stored(rig), world);
    const [b] = rigSessions({ root: '/srv/town', inheritedPath: '/b' }, stored(rig), world);
    expect(a!.launch.fingerprint).toBe(b!.launch.fingerprint);
  });
});

describe('planTown: the gt shim runs the observed node and CLI', () => {
  const rendered = (gt: TownObserved['gt']) => ({ 'config/town.json': renderTownJson(town), 'config/rigs.json': renderRigsJson([]), '.gt/bin/gt': renderGtShim(gt.node, gt.cli) });
  const observed = (gt: TownObserved['gt'], files: Record<string, string | undefined>): TownObserved => ({ dirs: Object.fromEntries(TOWN_DIRS.map((d) => [d, true])), files, present: {}, gt });
  const here = { node: '/usr/bin/node', cli: '/opt/gt/dist/bundle/main.js' };

  it.each([
    ['all in place', here, rendered(here), []],
    [
      'nothing rendered yet',
      here,
      {},
      [
        ['config/town.json', 'missing'],
        ['config/rigs.json', 'missing'],
        ['.gt/bin/gt', 'missing'],
      ],
    ],
    ['gt upgraded to another node', { ...here, node: '/opt/node22/bin/node' }, rendered(here), [['.gt/bin/gt', 'drift']]],
    ['gt installed elsewhere', { ...here, cli: '/usr/lib/gt/main.js' }, rendered(here), [['.gt/bin/gt', 'drift']]],
  ])('%s', (_what, gt, files, want) => {
    const p = planTown(town, [], observed(gt, files));
    expect(p.actions.map((a) => (a.type === 'renderFile' ? [a.path, a.reason] : [a.path, a.type]))).toEqual(want);
    const shim = p.actions.find((a) => a.type === 'renderFile' && a.path === '.gt/bin/gt');
    if (shim?.type === 'renderFile') expect(shim.content).toContain(`'${gt.node}' '${gt.cli}'`);
  });
});
