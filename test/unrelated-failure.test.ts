import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bareRepo, gt, rigYaml, tempDir, townYaml } from './support/town.js';

/** A command that did its job exits 0 and prints its result, whatever another rig's state. */
describe('a broken rig does not make commands about another rig fail', () => {
  let dir: string;
  let root: string;
  let betaOnly: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    const all = path.join(dir, 'all.yaml');
    betaOnly = path.join(dir, 'beta.yaml');
    await writeFile(all, `${townYaml(root)}---\n${rigYaml('beta', bare)}---\n${rigYaml('gamma', path.join(dir, 'does-not-exist.git'))}`);
    await writeFile(betaOnly, `${townYaml(root)}---\n${rigYaml('beta', bare, '  workers:\n    max: 2\n')}`);
    const first = await gt(['apply', '-f', all]);
    // gamma's clone fails: this apply names gamma, so it says so with exit 1.
    expect(first.code).toBe(1);
    expect(first.stderr).toContain('Rig/gamma');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gt apply of a file without the broken rig exits 0 and warns about it', async () => {
    const r = await gt(['apply', '-f', betaOnly]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: Rig\/gamma.*no such repository.*not part of this command/);
  });

  it('gt stop RIG -o json prints its result and exits 0; so does gt start', async () => {
    const stop = await gt(['stop', 'beta', '--town', root, '-o', 'json', '--wait', '1s']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(JSON.parse(stop.stdout)).toMatchObject({ changes: [{ key: 'Rig/beta' }] });
    // A stop of one rig reconciles that rig only: gamma's clone is not even tried.
    expect(stop.stderr).not.toContain('gamma');
    const start = await gt(['start', 'beta', '--town', root, '-o', 'json']);
    expect(start.code, start.stderr).toBe(0);
    expect(JSON.parse(start.stdout)).toMatchObject({ reconciledBy: 'start' });
  });
});

describe('a one-shot command tries a failing key once', () => {
  let dir: string;
  let silent: net.Server;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('while another key takes its time (a silent host), a refused clone is not retried within the same apply', async () => {
    const root = path.join(dir, 'town');
    const port = (silent.address() as net.AddressInfo).port;
    const manifest = path.join(dir, 'town.yaml');
    await writeFile(manifest, `${townYaml(root)}---\n${rigYaml('slow', `ssh://git@127.0.0.1:${port}/x.git`)}---\n${rigYaml('refused', 'ssh://git@127.0.0.1:1/x.git')}`);
    const r = await gt(['apply', '-f', manifest], { env: { HOME: dir } });
    expect(r.code).toBe(1);
    const events = (await readFile(path.join(root, '.gt', 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; key?: string });
    // Its two clones (refinery and mayor) were tried once each, not again with backoff while the silent host held the command.
    expect(events.filter((e) => e.type === 'actionFailed' && e.key === 'Rig/refused').length).toBeLessThanOrEqual(2);
  });
});
