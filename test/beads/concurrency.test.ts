import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlTracker } from '../../src/beads/jsonl.js';
import { beadsDir, HERE, removeTempDirs } from './support.js';

afterAll(removeTempDirs);

const WRITERS = 4;
const EACH = 25;

function writer(dir: string, tag: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'fixtures', 'create-many.ts'), dir, String(EACH), tag], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // tsx would otherwise leave its compile cache in the temp directory.
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('several processes writing one issues.jsonl', () => {
  it('loses no issue: 4 processes × 25 creates give 100 distinct issues', async () => {
    const dir = await beadsDir();
    const rig = path.dirname(dir);
    const tags = Array.from({ length: WRITERS }, (_, i) => `w${i}`);
    const done = Promise.all(tags.map((tag) => writer(dir, tag)));
    while (!tags.every((tag) => existsSync(path.join(rig, `ready-${tag}`)))) await sleep(10);
    await writeFile(path.join(rig, 'go'), '');
    for (const r of await done) expect(r.code, r.stderr).toBe(0);

    const issues = await new JsonlTracker(dir, { prefix: 'gt' }).list();
    expect(issues).toHaveLength(WRITERS * EACH);
    expect(new Set(issues.map((i) => i.id)).size).toBe(WRITERS * EACH);
    const titles = issues.map((i) => i.title).sort();
    expect(titles).toEqual(tags.flatMap((tag) => Array.from({ length: EACH }, (_, i) => `${tag} #${i}`)).sort());
    expect((await readFile(path.join(dir, 'issues.jsonl'), 'utf8')).split('\n')).toHaveLength(WRITERS * EACH + 1);
    expect(await readdir(dir)).toEqual(['issues.jsonl']);
  });
});
