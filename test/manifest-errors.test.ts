import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, exists, gt, rigYaml, snapshot, tempDir, townYaml, type GtResult } from './support/town.js';

/**
 * Bad manifests: every class of error names file:line:col, the object and the field path; exit code 2;
 * every error of the input is reported; and the town's store is left byte-for-byte unchanged.
 *
 * Line and column numbers below are counted by hand from the YAML written in each test (1-based).
 */

const API = 'apiVersion: gastown.dev/v1alpha1';
const TRAILER = /^(\d+) errors?; nothing was applied$/;

/** The diagnostic lines of a failed command's stderr, without the `error: ` prefix and the trailer. */
function diagnostics(r: GtResult): string[] {
  const lines = r.stderr.trimEnd().split('\n');
  if (lines[0]?.startsWith('error: ')) lines[0] = lines[0].slice('error: '.length);
  if (TRAILER.test(lines.at(-1) ?? '')) lines.pop();
  return lines;
}

/** The `N errors; nothing was applied` trailer. */
function trailer(r: GtResult): string | undefined {
  return r.stderr.trimEnd().split('\n').at(-1);
}

function errorsTrailer(n: number): string {
  return `${n} error${n === 1 ? '' : 's'}; nothing was applied`;
}

describe('invalid manifests are reported precisely and change nothing', () => {
  let dir: string;
  let root: string;
  let gtDir: string;
  let bare: string;

  beforeAll(async () => {
    dir = await tempDir('gt-manifest-errors-');
    root = path.join(dir, 'town');
    gtDir = path.join(root, '.gt');
    bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}`);
    const r = await gt(['apply', '-f', 'town.yaml'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await exists(path.join(gtDir, 'store', 'rig', 'wyvern.json'))).toBe(true);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Everything that could show that something was applied: the store, its events and status, the town's directories. */
  async function state() {
    return { gt: await snapshot(gtDir), top: (await readdir(root)).sort() };
  }

  /** Writes `files` (relative to the temp dir), runs gt in the temp dir and checks exit code 2 and an unchanged town. */
  async function rejected(files: Record<string, string>, args: string[], opts: { input?: string; cwd?: string } = {}): Promise<GtResult> {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    const before = await state();
    const r = await gt(args, { cwd: opts.cwd ?? dir, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    expect(await state()).toEqual(before);
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    return r;
  }

  /** `gt apply --town town -f <file>` with one file. */
  async function applyBad(file: string, text: string): Promise<GtResult> {
    return rejected({ [file]: text }, ['apply', '--town', 'town', '-f', file]);
  }

  function rig(name: string, specExtra = ''): string {
    return rigYaml(name, bare, specExtra);
  }

  describe('schema errors', () => {
    it('workers.max 0 on the stored rig: `file:line:col: Rig "wyvern": spec.workers.max must be >= 1`', async () => {
      // 1 apiVersion / 2 kind / 3 metadata: / 4   name: wyvern / 5 spec: / 6   gitUrl / 7   workers: / 8     max: 0
      const r = await applyBad('max.yaml', rig('wyvern', '  workers:\n    max: 0\n'));
      expect(diagnostics(r)).toEqual(['max.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
      expect(r.stderr.startsWith('error: max.yaml:8:10: ')).toBe(true);
    });

    it('the issue example: Town and Rig in manifests/town.yaml, no --town flag', async () => {
      // town.yaml: 6 lines, `---` line 7; the rig's apiVersion is line 8, so `max: 0` is line 15
      const text = `${townYaml(root)}---\n${rig('wyvern', '  workers:\n    max: 0\n')}`;
      const r = await rejected({ 'manifests/town.yaml': text }, ['apply', '-f', 'manifests/town.yaml']);
      expect(diagnostics(r)).toEqual(['manifests/town.yaml:15:10: Rig "wyvern": spec.workers.max must be >= 1']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('unknown field: points at the key and suggests the closest known field', async () => {
      // 7   workers: / 8     spawnDelai: 5s  (the key starts at column 5)
      const r = await applyBad('unknown.yaml', rig('wyvern', '  workers:\n    spawnDelai: 5s\n'));
      expect(diagnostics(r)).toEqual([
        'unknown.yaml:8:5: Rig "wyvern": spec.workers.spawnDelai: unknown field (did you mean "spawnDelay"?); known fields: max, spawnDelay, names, stuckAfter, maxNudges, restartBackoff, maxRestarts, restartBudget, breakerThreshold, memoryPerWorker',
      ]);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('missing required field: spec.gitUrl', async () => {
      const text = `${API}\nkind: Rig\nmetadata:\n  name: drake\nspec:\n  workers:\n    max: 2\n`;
      // the spec mapping starts at line 6, column 3
      const r = await applyBad('required.yaml', text);
      expect(diagnostics(r)).toEqual(['required.yaml:6:3: Rig "drake": spec.gitUrl is required']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('wrong types: a string for an integer and for a boolean', async () => {
      // 7   suspend: "yes" (col 12) / 8   workers: / 9     max: three (col 10)
      const r = await applyBad('types.yaml', rig('wyvern', '  suspend: "yes"\n  workers:\n    max: three\n'));
      expect(diagnostics(r).sort()).toEqual(['types.yaml:7:12: Rig "wyvern": spec.suspend must be boolean', 'types.yaml:9:10: Rig "wyvern": spec.workers.max must be integer']);
      expect(trailer(r)).toBe('2 errors; nothing was applied');
    });

    it('bad enum value lists the allowed values', async () => {
      // 7   mergeQueue: / 8     strategy: octopus (col 15)
      const r = await applyBad('enum.yaml', rig('wyvern', '  mergeQueue:\n    strategy: octopus\n'));
      expect(diagnostics(r)).toEqual(['enum.yaml:8:15: Rig "wyvern": spec.mergeQueue.strategy must be one of: ff-only, merge, squash, rebase']);
    });
  });

  describe('YAML errors', () => {
    it('syntax error: file:line:col and a YAML: message', async () => {
      // the flow map opened on line 3 is still open where line 4 starts
      const text = `${API}\nkind: Rig\nmetadata: {name: drake\nspec:\n  gitUrl: ${bare}\n`;
      const r = await applyBad('syntax.yaml', text);
      const lines = diagnostics(r);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^syntax\.yaml:4:1: YAML: Flow map .*/);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('duplicate key: points at the second occurrence', async () => {
      const text = `${API}\nkind: Rig\nmetadata:\n  name: drake\n  name: wyrm\nspec:\n  gitUrl: ${bare}\n`;
      const r = await applyBad('dupkey.yaml', text);
      expect(diagnostics(r)).toEqual(['dupkey.yaml:5:3: YAML: Map keys must be unique']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('a YAML error does not hide the errors of the other documents and files', async () => {
      // doc 1 (lines 1-8): schema error at 8:10; `---` line 9; doc 2 (line 10-): syntax error where line 13 starts
      const docs = `${rig('wyvern', '  workers:\n    max: 0\n')}---\n${API}\nkind: Rig\nmetadata: {name: drake\nspec:\n  gitUrl: ${bare}\n`;
      const other = rig('drake', '  mergeQueue:\n    strategy: octopus\n');
      const r = await rejected({ 'mixed.yaml': docs, 'other.yaml': other }, ['apply', '--town', 'town', '-f', 'mixed.yaml', '-f', 'other.yaml']);
      const lines = diagnostics(r);
      expect(lines).toContain('mixed.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1');
      expect(lines.some((l) => /^mixed\.yaml:13:1: YAML: /.test(l))).toBe(true);
      expect(lines).toContain('other.yaml:8:15: Rig "drake": spec.mergeQueue.strategy must be one of: ff-only, merge, squash, rebase');
      expect(trailer(r)).toBe(errorsTrailer(lines.length));
    });
  });

  describe('unknown kind and apiVersion', () => {
    it('unknown kind', async () => {
      const text = `${API}\nkind: Wyrm\nmetadata:\n  name: drake\nspec: {}\n`;
      const r = await applyBad('kind.yaml', text);
      expect(diagnostics(r)).toEqual(['kind.yaml:2:7: kind: unknown kind "Wyrm" (expected one of Town, Rig, Swarm, Plugin)']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('unknown and missing apiVersion', async () => {
      // doc 1: lines 1-6, `---` line 7; doc 2 (no apiVersion) starts at line 8
      const text = `apiVersion: gastown.dev/v2\nkind: Rig\nmetadata:\n  name: drake\nspec:\n  gitUrl: ${bare}\n---\nkind: Rig\nmetadata:\n  name: wyrm\nspec:\n  gitUrl: ${bare}\n`;
      const r = await applyBad('api.yaml', text);
      expect(diagnostics(r)).toEqual(['api.yaml:1:13: apiVersion: unknown "gastown.dev/v2" (expected gastown.dev/v1alpha1)', 'api.yaml:8:1: apiVersion: missing (expected gastown.dev/v1alpha1)']);
      expect(trailer(r)).toBe('2 errors; nothing was applied');
    });
  });

  describe('names', () => {
    it('duplicate object names across two files of a directory', async () => {
      const r = await rejected({ 'dup/a.yaml': rig('drake'), 'dup/b.yaml': `# the same rig again\n${rig('drake')}` }, ['apply', '--town', 'town', '-f', 'dup']);
      expect(diagnostics(r)).toEqual(['dup/b.yaml:5:9: Rig "drake": duplicate object: also defined at dup/a.yaml:4']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('duplicate object names within one file', async () => {
      const r = await applyBad('dup-one.yaml', `${rig('drake')}---\n${rig('drake', '  suspend: true\n')}`);
      // doc 2 starts at line 8: its name is on line 11
      expect(diagnostics(r)).toEqual(['dup-one.yaml:11:9: Rig "drake": duplicate object: also defined at dup-one.yaml:4']);
    });

    const badNames = ['Drake', 'dr/ake', 'dr..ake', 'a'.repeat(64)];
    // each document is 6 lines plus `---`: names on lines 4, 11, 18, 25, value at column 9
    const namesYaml = () => badNames.map((n) => rig(n)).join('---\n');

    it('bad metadata.name (uppercase, "/", "..", 64 characters): each rejected at its place', async () => {
      const r = await applyBad('names.yaml', namesYaml());
      const lines = diagnostics(r);
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(/^names\.yaml:4:9: Rig "Drake": metadata\.name /);
      expect(lines[1]).toMatch(/^names\.yaml:11:9: Rig "dr\/ake": metadata\.name /);
      expect(lines[2]).toMatch(/^names\.yaml:18:9: Rig "dr\.\.ake": metadata\.name /);
      expect(lines[3]).toBe(`names.yaml:25:9: Rig "${'a'.repeat(64)}": metadata.name must NOT have more than 63 characters`);
      expect(trailer(r)).toBe('4 errors; nothing was applied');
    });

    it('bad metadata.name: the message quotes the bad value and says what a name must be', async () => {
      const r = await applyBad('names2.yaml', namesYaml());
      const lines = diagnostics(r);
      expect(r.stderr).not.toContain('undefined');
      expect(lines[0]).toMatch(/^names2\.yaml:4:9: Rig "Drake": metadata\.name "Drake" is not valid: Lowercase DNS label/);
      expect(lines[1]).toMatch(/^names2\.yaml:11:9: Rig "dr\/ake": metadata\.name "dr\/ake" is not valid: Lowercase DNS label/);
      expect(lines[2]).toMatch(/^names2\.yaml:18:9: Rig "dr\.\.ake": metadata\.name "dr\.\.ake" is not valid: Lowercase DNS label/);
    });

    it('reserved rig names config and mayor', async () => {
      const r = await applyBad('reserved.yaml', `${rig('config')}---\n${rig('mayor')}`);
      expect(diagnostics(r)).toEqual([
        'reserved.yaml:4:9: Rig "config": metadata.name "config" is reserved for the town\'s own directory',
        'reserved.yaml:11:9: Rig "mayor": metadata.name "mayor" is reserved for the town\'s own directory',
      ]);
      expect(trailer(r)).toBe('2 errors; nothing was applied');
    });

    it("polecat names that would take a role session's name", async () => {
      const r = await applyBad('names.yaml', rigYaml('drake', '/srv/drake.git', '  workers:\n    names: [nux, witness, plugin-lint]\n'));
      expect(diagnostics(r)).toEqual([
        'names.yaml:8:18: Rig "drake": spec.workers.names[1] "witness" is reserved: its session would be the rig\'s witness session',
        'names.yaml:8:27: Rig "drake": spec.workers.names[2] "plugin-lint" is reserved: its session would be the rig\'s plugin session',
      ]);
    });
  });

  describe('gitUrl safety', () => {
    it('a gitUrl starting with "-" (option injection)', async () => {
      const r = await applyBad('dash.yaml', rigYaml('drake', '--upload-pack=touch /tmp/gt-pwned'));
      expect(diagnostics(r)).toEqual(['dash.yaml:6:11: Rig "drake": spec.gitUrl must not start with "-"']);
    });

    it('ext:: and fd:: gitUrls (command-running transports), case-insensitive', async () => {
      const text = `${rigYaml('drake', '"ext::sh -c touch% /tmp/gt-pwned"')}---\n${rigYaml('wyrm', 'FD::17')}`;
      const r = await applyBad('ext.yaml', text);
      expect(diagnostics(r)).toEqual([
        'ext.yaml:6:11: Rig "drake": spec.gitUrl: the ext:: and fd:: transports run commands and are not allowed',
        'ext.yaml:13:11: Rig "wyrm": spec.gitUrl: the ext:: and fd:: transports run commands and are not allowed',
      ]);
      expect(trailer(r)).toBe('2 errors; nothing was applied');
    });
  });

  describe('cross-object rules', () => {
    const swarm = (rigName: string, tasks: string) => `${API}\nkind: Swarm\nmetadata:\n  name: s1\nspec:\n  rig: ${rigName}\n  title: T\n  tasks:\n${tasks}`;
    // the tasks list starts at line 9; `    - id: x` puts the id at column 11, `      dependsOn: [` puts the first id at column 19

    it("a Swarm's rig must exist (in the input or the town)", async () => {
      const r = await applyBad('swarm-rig.yaml', swarm('nosuch', '    - id: a\n      title: A\n'));
      expect(diagnostics(r)).toEqual(['swarm-rig.yaml:6:8: Swarm "s1": spec.rig: no Rig named "nosuch" in the input or the town']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('task ids are unique', async () => {
      const r = await applyBad('swarm-ids.yaml', swarm('wyvern', '    - id: a\n      title: A\n    - id: a\n      title: A again\n'));
      expect(diagnostics(r)).toEqual(['swarm-ids.yaml:11:11: Swarm "s1": spec.tasks[1].id "a" is already used by spec.tasks[0]']);
    });

    it('dependsOn names an existing task', async () => {
      const r = await applyBad('swarm-dep.yaml', swarm('wyvern', '    - id: a\n      title: A\n      dependsOn: [ghost]\n'));
      expect(diagnostics(r)).toEqual(['swarm-dep.yaml:11:19: Swarm "s1": spec.tasks[0].dependsOn: no task with id "ghost"']);
    });

    it('dependency cycle a -> b -> a', async () => {
      const r = await applyBad('swarm-cycle.yaml', swarm('wyvern', '    - id: a\n      title: A\n      dependsOn: [b]\n    - id: b\n      title: B\n      dependsOn: [a]\n'));
      // points at task a's dependsOn list (line 11, column 18: the `[`)
      expect(diagnostics(r)).toEqual(['swarm-cycle.yaml:11:18: Swarm "s1": spec.tasks: dependency cycle a -> b -> a']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('a Swarm applied where no town is found: the town is what is missing, not its rig (trial)', async () => {
      const r = await rejected({ 'lost.yaml': swarm('wyvern', '    - id: a\n      title: A\n') }, ['apply', '-f', 'lost.yaml']);
      expect(r.stderr).toBe('error: no town for these objects: include a Town manifest, pass --town DIR, set GT_TOWN or run inside a town\n');
    });

    it('a task depending on itself', async () => {
      const r = await applyBad('swarm-self.yaml', swarm('wyvern', '    - id: a\n      title: A\n      dependsOn: [a]\n'));
      expect(diagnostics(r)).toEqual(['swarm-self.yaml:11:19: Swarm "s1": spec.tasks[0].dependsOn: task "a" depends on itself']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it("a Plugin's rig must exist", async () => {
      const text = `${API}\nkind: Plugin\nmetadata:\n  name: p1\nspec:\n  rig: ghost\n  instructions: Review the merge.\n  hooks: [beforeMerge]\n`;
      const r = await applyBad('plugin.yaml', text);
      expect(diagnostics(r)).toEqual(['plugin.yaml:6:8: Plugin "p1": spec.rig: no Rig named "ghost" in the input or the town']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });
  });

  describe('all or nothing, every error reported', () => {
    it('reports every error of every file and document (schema and cross-object), with the count', async () => {
      const a = `${rig('wyvern', '  workers:\n    max: 0\n  mergeQueue:\n    strategy: octopus\n')}---\n${rig('Drake')}`;
      const b =
        `${API}\nkind: Swarm\nmetadata:\n  name: s1\nspec:\n  rig: nosuch\n  title: T\n  tasks:\n    - id: a\n      title: A\n      dependsOn: [a]\n` +
        `---\n${API}\nkind: Plugin\nmetadata:\n  name: p1\nspec:\n  rig: ghost\n  instructions: x\n  hooks: [beforeMerge]\n`;
      const r = await rejected({ 'many-a.yaml': a, 'many-b.yaml': b }, ['apply', '--town', 'town', '-f', 'many-a.yaml', '-f', 'many-b.yaml']);
      const lines = diagnostics(r);
      expect(lines).toContain('many-a.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1');
      expect(lines).toContain('many-a.yaml:10:15: Rig "wyvern": spec.mergeQueue.strategy must be one of: ff-only, merge, squash, rebase');
      expect(lines.some((l) => l.startsWith('many-a.yaml:15:9: Rig "Drake": metadata.name '))).toBe(true);
      expect(lines).toContain('many-b.yaml:6:8: Swarm "s1": spec.rig: no Rig named "nosuch" in the input or the town');
      expect(lines).toContain('many-b.yaml:11:19: Swarm "s1": spec.tasks[0].dependsOn: task "a" depends on itself');
      // Plugin doc starts at line 13: rig on line 18
      expect(lines).toContain('many-b.yaml:18:8: Plugin "p1": spec.rig: no Rig named "ghost" in the input or the town');
      expect(lines).toHaveLength(6);
      expect(trailer(r)).toBe('6 errors; nothing was applied');
    });

    it('a valid new Rig next to an error is not stored (same file, or another file)', async () => {
      const good = rig('drake');
      const bad = rig('wyvern', '  workers:\n    max: 0\n');
      // same file: good rig is doc 1 (lines 1-6), `---` line 7, bad rig lines 8-15
      const r1 = await applyBad('half.yaml', `${good}---\n${bad}`);
      expect(diagnostics(r1)).toEqual(['half.yaml:15:10: Rig "wyvern": spec.workers.max must be >= 1']);
      expect(trailer(r1)).toBe('1 error; nothing was applied');

      const r2 = await rejected({ 'good.yaml': good, 'bad.yaml': bad }, ['apply', '--town', 'town', '-f', 'good.yaml', '-f', 'bad.yaml']);
      expect(diagnostics(r2)).toEqual(['bad.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1']);

      expect(await exists(path.join(gtDir, 'store', 'rig', 'drake.json'))).toBe(false);
      expect(await exists(path.join(root, 'drake'))).toBe(false);
    });
  });

  describe('where the input comes from', () => {
    it('stdin (-f -) is shown as <stdin>:line:col', async () => {
      const r = await rejected({}, ['apply', '--town', 'town', '-f', '-'], { input: rig('wyvern', '  workers:\n    max: 0\n') });
      expect(diagnostics(r)).toEqual(['<stdin>:8:10: Rig "wyvern": spec.workers.max must be >= 1']);
      expect(trailer(r)).toBe('1 error; nothing was applied');
    });

    it('an absolute path below the cwd is shown relative; a file outside the cwd is shown absolute', async () => {
      const file = path.join(dir, 'abs.yaml');
      const text = rig('wyvern', '  workers:\n    max: 0\n');
      const below = await rejected({ 'abs.yaml': text }, ['apply', '--town', 'town', '-f', file]);
      expect(diagnostics(below)).toEqual(['abs.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1']);
      const outside = await rejected({}, ['apply', '--town', '.', '-f', file], { cwd: root });
      expect(diagnostics(outside)).toEqual([`${file}:8:10: Rig "wyvern": spec.workers.max must be >= 1`]);
    });
  });

  describe('dry run and diff', () => {
    it('apply --dry-run of a valid change prints it and writes nothing', async () => {
      const text = `${API}\nkind: Swarm\nmetadata:\n  name: s1\nspec:\n  rig: wyvern\n  title: T\n  tasks:\n    - id: a\n      title: A\n    - id: b\n      title: B\n      dependsOn: [a]\n---\n${rig('drake')}`;
      await writeFile(path.join(dir, 'dry.yaml'), text);
      const before = await state();
      const r = await gt(['apply', '--town', 'town', '--dry-run', '-f', 'dry.yaml'], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Rig/drake');
      expect(r.stdout).toContain('Swarm/s1');
      expect(r.stdout).toContain('dry run');
      expect(await state()).toEqual(before);
      expect(await exists(path.join(gtDir, 'store', 'rig', 'drake.json'))).toBe(false);
    });

    it('diff -f bad.yaml exits 2 with the same message as apply', async () => {
      const text = `${rig('wyvern', '  workers:\n    max: 0\n')}---\n${API}\nkind: Plugin\nmetadata:\n  name: p1\nspec:\n  rig: ghost\n  instructions: x\n  hooks: [beforeMerge]\n`;
      const applied = await rejected({ 'diffbad.yaml': text }, ['apply', '--town', 'town', '-f', 'diffbad.yaml']);
      const diffed = await rejected({}, ['diff', '--town', 'town', '-f', 'diffbad.yaml']);
      expect(diagnostics(diffed)).toEqual([
        'diffbad.yaml:8:10: Rig "wyvern": spec.workers.max must be >= 1',
        'diffbad.yaml:15:8: Plugin "p1": spec.rig: no Rig named "ghost" in the input or the town',
      ]);
      expect(trailer(diffed)).toBe('2 errors; nothing was applied');
      expect(diffed.stderr).toBe(applied.stderr);
    });
  });
});
