import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, GT_BIN, gt, rigYaml, tempDir, townYaml } from './support/town.js';

describe('a reader that goes away (gt issues list | head -1)', () => {
  let dir: string;
  let root: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const manifest = path.join(dir, 'town.yaml');
    await writeFile(manifest, `${townYaml(root)}---\n${rigYaml('wyvern', await bareRepo(dir))}`);
    expect((await gt(['apply', '-f', manifest])).code).toBe(0);
    // Far more output than a pipe holds, so the write after the reader left fails with EPIPE.
    const lines = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({
        id: `wyvern-${i}`,
        title: `issue number ${i} with a title long enough to fill the pipe`,
        status: 'open',
        priority: 2,
        issue_type: 'task',
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-01T00:00:00Z',
      }),
    );
    await writeFile(path.join(root, 'wyvern', '.beads', 'issues.jsonl'), lines.join('\n') + '\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ends quietly with exit 0: no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [GT_BIN, 'issues', 'list', '--town', root], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GT_TOWN: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
