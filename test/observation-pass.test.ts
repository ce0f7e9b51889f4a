import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { observePaths } from '../controllers/common/observe-fs.js';
import { ObservationPass, observeOnce, readIfListed } from '../src/engine/observation-pass.js';
import { tempDir } from './support/town.js';

describe('a planning pass reads each shared fact once', () => {
  it('observeOnce reads once per pass (sharing a read in flight), and every time without one', async () => {
    let reads = 0;
    const read = () => Promise.resolve(++reads);
    const pass = new ObservationPass();
    expect(await Promise.all([observeOnce(pass, 'k', read), observeOnce(pass, 'k', read)])).toEqual([1, 1]);
    expect(await observeOnce(undefined, 'k', read)).toBe(2);
    expect(await observeOnce(undefined, 'k', read)).toBe(3);
    expect(await observeOnce(new ObservationPass(), 'k', read)).toBe(4);
  });

  it('readIfListed opens only what one listing of its directory shows; without a pass it reads', async () => {
    const dir = await tempDir('gt-pass-');
    try {
      await writeFile(path.join(dir, 'there.json'), '{}');
      const opened: string[] = [];
      const read = (f: string) => () => {
        opened.push(path.basename(f));
        return Promise.resolve(path.basename(f));
      };
      const pass = new ObservationPass();
      const at = (n: string) => path.join(dir, n);
      expect(await readIfListed(pass, at('there.json'), read(at('there.json')))).toBe('there.json');
      expect(await readIfListed(pass, at('absent.json'), read(at('absent.json')))).toBeUndefined();
      // Listed once, at the pass's first look: a file made later is a later pass's fact.
      await writeFile(at('later.json'), '{}');
      expect(await readIfListed(pass, at('later.json'), read(at('later.json')))).toBeUndefined();
      expect(opened).toEqual(['there.json']);
      expect(await readIfListed(undefined, at('absent.json'), read(at('absent.json')))).toBe('absent.json');
      expect(await readIfListed(pass, path.join(dir, 'no-dir', 'x.json'), read('x.json'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('observePaths', () => {
  it('answers directories from their parent listing as a stat would: files, symlinks, absent parents', async () => {
    const root = await tempDir('gt-paths-');
    try {
      await mkdir(path.join(root, 'rig', 'dir'), { recursive: true });
      await mkdir(path.join(root, 'elsewhere'));
      await writeFile(path.join(root, 'rig', 'file'), 'x');
      await symlink(path.join(root, 'elsewhere'), path.join(root, 'rig', 'linked'));
      await symlink(path.join(root, 'gone'), path.join(root, 'rig', 'dangling'));
      await writeFile(path.join(root, 'plain'), 'x');
      const dirs = ['rig', 'rig/dir', 'rig/file', 'rig/linked', 'rig/dangling', 'rig/missing', 'plain', 'plain/sub', 'nothing', 'nothing/sub', 'elsewhere'];
      const o = await observePaths(root, { dirs, files: ['rig/file'], present: ['rig/dangling'] });
      expect(o.dirs).toEqual({
        rig: true,
        'rig/dir': true,
        'rig/file': false,
        'rig/linked': true,
        'rig/dangling': false,
        'rig/missing': false,
        plain: false,
        'plain/sub': false,
        nothing: false,
        'nothing/sub': false,
        elsewhere: true,
      });
      expect(o.files).toEqual({ 'rig/file': 'x' });
      expect(o.present).toEqual({ 'rig/dangling': false });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
