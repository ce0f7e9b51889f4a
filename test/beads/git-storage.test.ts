import { execFileSync } from 'node:child_process';
import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitStorage } from '../../src/beads/git-storage.js';
import { appendIssue } from '../../src/beads/jsonl-file.js';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { bareRepo, git, tempDir } from '../support/town.js';
import { REPO_BEADS } from './support.js';

const record = (id: string) => ({ id, title: id, status: 'open', priority: 2, issue_type: 'task', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });

describe('issues on a branch of the repository (GitStorage)', () => {
  let dir: string;
  let bare: string;
  const clone = (name: string) => {
    git(['clone', '-q', bare, path.join(dir, name)], dir);
    return path.join(dir, name);
  };
  const onMain = () => execFileSync('git', ['show', 'main:.beads/issues.jsonl'], { cwd: bare, encoding: 'utf8' });
  const storage = (c: string, extra: { maxPushAttempts?: number } = {}) => new GitStorage({ clone: c, branch: 'main', lockFile: path.join(c, '..', `${path.basename(c)}.lock`), ...extra });
  /** Someone else pushes a new issue to main from their own clone. */
  let n = 0;
  const personPushes = (person: string) => {
    git(['pull', '-q', '--ff-only'], person);
    execFileSync('sh', ['-c', `echo '${JSON.stringify(record(`proj-p${++n}`))}' >> .beads/issues.jsonl`], { cwd: person });
    git(['commit', '-q', '-am', `person ${n}`], person);
    git(['push', '-q', 'origin', 'main'], person);
  };

  beforeEach(async () => {
    dir = await tempDir('gt-git-storage-');
    bare = await bareRepo(dir, REPO_BEADS);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a push refused because main moved is redone on top of the new main, the working tree untouched', async () => {
    const refinery = clone('refinery');
    const person = clone('person');
    const s = storage(refinery);
    const head = git(['rev-parse', 'HEAD'], refinery);
    let runs = 0;
    await s.write(
      'add proj-gt1',
      (file) => {
        // The race: between gt's fetch and its push, someone pushes.
        if (runs++ === 0) personPushes(person);
        appendIssue(file, record('proj-gt1'));
      },
      false,
    );
    expect(runs).toBe(2);
    expect(onMain()).toContain('"proj-p1"');
    expect(onMain()).toContain('"proj-gt1"');
    expect(execFileSync('git', ['log', '--format=%s', '-2', 'main'], { cwd: bare, encoding: 'utf8' }).trim().split('\n')).toEqual(['beads: add proj-gt1', 'person 1']);
    // The refinery's branch and files are where the clone left them.
    expect(git(['status', '--porcelain'], refinery)).toBe('');
    expect(git(['rev-parse', 'HEAD'], refinery)).toBe(head);
    expect((await s.read()).byId.has('proj-gt1')).toBe(true);
  });

  it('gives up after maxPushAttempts when main keeps moving, and changes nothing', async () => {
    const person = clone('person');
    const s = storage(clone('refinery'), { maxPushAttempts: 2 });
    const attempt = s.write(
      'add proj-gt2',
      (file) => {
        personPushes(person);
        appendIssue(file, record('proj-gt2'));
      },
      false,
    );
    await expect(attempt).rejects.toThrow(/could not push "add proj-gt2" to main: the branch moved 2 times/);
    expect(onMain()).not.toContain('proj-gt2');
  });

  it('two towns writing at once lose nothing', async () => {
    const a = new JsonlTracker(path.join(dir, 'a', '.beads'), { prefix: 'proj', storage: storage(clone('a')) });
    const b = new JsonlTracker(path.join(dir, 'b', '.beads'), { prefix: 'proj', storage: storage(clone('b')) });
    const made = await Promise.all([1, 2, 3].flatMap((i) => [a.create({ title: `a${i}` }), b.create({ title: `b${i}` })]));
    for (const issue of made) expect(onMain()).toContain(`"id":"${issue.id}"`);
    expect(onMain().trim().split('\n')).toHaveLength(2 + 6);
  });

  it('a push the remote refuses for another reason fails at once, naming it', async () => {
    const hook = path.join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const s = storage(clone('refinery'), { maxPushAttempts: 5 });
    let runs = 0;
    const attempt = s.write(
      'add proj-gt3',
      (file) => {
        runs++;
        appendIssue(file, record('proj-gt3'));
      },
      false,
    );
    await expect(attempt).rejects.toThrow(/could not push "add proj-gt3" to main: .*pre-receive hook declined.*main is protected/);
    expect(runs).toBe(1);
  });
});
