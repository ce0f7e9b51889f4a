import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dependency, Issue } from '../../src/beads/record.js';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURE = path.join(HERE, 'fixtures', 'real-format.jsonl');

/** RFC 3339 with a millisecond fraction and an offset, as gt writes timestamps. */
export const GT_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/;

/** An issue line as bd exports it. */
export const repoIssue = (id: string, title: string, priority: number) =>
  JSON.stringify({ id, title, status: 'open', priority, issue_type: 'task', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', _type: 'issue' });

/** A project that keeps its tracker in the repository, as many beads users do (files for bareRepo). */
export const REPO_BEADS = {
  'README.md': 'toy\n',
  '.beads/issues.jsonl': `${repoIssue('proj-a1', 'first', 1)}\n${repoIssue('proj-a2', 'second', 2)}\n`,
  '.beads/config.yaml': 'issue-prefix: "proj"\n',
};

const made: string[] = [];

/** A fresh temp directory of this test file; `removeTempDirs` (in its afterAll) removes them all. */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** A fresh `<tmp>/rig/.beads` directory, optionally holding a copy of the real-format fixture. */
export async function beadsDir(opts: { fixture?: boolean } = {}): Promise<string> {
  const dir = path.join(await scratchDir('gt-beads-'), 'rig', '.beads');
  await mkdir(dir, { recursive: true });
  if (opts.fixture) await copyFile(FIXTURE, path.join(dir, 'issues.jsonl'));
  return dir;
}

/** An issue for the pure readiness tests: open task, priority 2, created at `created`. */
export function issue(id: string, over: Partial<Issue> & { deps?: [string, string][] } = {}): Issue {
  const { deps = [], ...rest } = over;
  const dependencies: Dependency[] = deps.map(([type, on]) => ({ issue_id: id, depends_on_id: on, type, created_at: '2026-01-01T00:00:00Z' }));
  return {
    id,
    title: id,
    description: '',
    status: 'open',
    priority: 2,
    issue_type: 'task',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    dependencies,
    ...rest,
  };
}
