import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseJson, type RigsFileJson } from './support/json.js';
import { bareRepo, exists, gt, rigYaml, tempDir, townYaml } from './support/town.js';

describe('the town lock', () => {
  let dir: string;
  let root: string;
  let bare: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), townYaml(root));
    expect((await gt(['apply', '-f', 'town.yaml'], { cwd: dir })).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serialises two concurrent applies: both land, events keep unique increasing sequence numbers', async () => {
    await writeFile(path.join(dir, 'a.yaml'), rigYaml('alpha', bare));
    await writeFile(path.join(dir, 'b.yaml'), rigYaml('beta', bare));
    const [a, b] = await Promise.all([gt(['apply', '-f', 'a.yaml', '--town', root], { cwd: dir }), gt(['apply', '-f', 'b.yaml', '--town', root], { cwd: dir })]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const events = (await readFile(path.join(root, '.gt', 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const { rigs } = parseJson<RigsFileJson>(await readFile(path.join(root, 'config', 'rigs.json'), 'utf8'));
    expect(rigs).toHaveProperty('alpha');
    expect(rigs).toHaveProperty('beta');
    expect((await gt(['diff', '--town', root])).code).toBe(0);
    expect(await exists(path.join(root, '.gt', 'lock'))).toBe(false);
  });

  it('names a live holder and gives up after --lock-timeout', async () => {
    const holder = spawn('sleep', ['30']);
    try {
      const lock = { pid: holder.pid, host: os.hostname(), command: 'gt run', startedAt: '2026-01-01T00:00:00.000Z' };
      await writeFile(path.join(root, '.gt', 'lock'), JSON.stringify(lock));
      const r = await gt(['apply', '-f', 'a.yaml', '--town', root, '--lock-timeout', '1s'], { cwd: dir });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`${path.join(root, '.gt', 'lock')} is held by pid ${holder.pid} on ${os.hostname()} (gt run, since 2026-01-01T00:00:00.000Z)`);
    } finally {
      holder.kill();
      await rm(path.join(root, '.gt', 'lock'), { force: true });
    }
  });

  it('takes over a lock whose process is dead', async () => {
    const dead = spawn('true');
    await new Promise((r) => dead.on('close', r));
    await writeFile(path.join(root, '.gt', 'lock'), JSON.stringify({ pid: dead.pid, host: os.hostname(), command: 'gt apply', startedAt: '2026-01-01T00:00:00.000Z' }));
    const r = await gt(['apply', '-f', 'a.yaml', '--town', root, '--lock-timeout', '5s'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(await exists(path.join(root, '.gt', 'lock'))).toBe(false);
  });
});
