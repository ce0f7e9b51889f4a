import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gitEnv } from '../src/adapters/git.js';
import { gt, rigYaml, tempDir, townYaml } from './support/town.js';

describe('gitEnv: git never waits on a person or on a silent host', () => {
  it('sets a non-interactive ssh with a connect timeout, and a stalled-transfer limit', () => {
    const env = gitEnv({ PATH: '/bin' });
    expect(env.GIT_SSH_COMMAND).toMatch(/BatchMode=yes/);
    expect(env.GIT_SSH_COMMAND).toMatch(/ConnectTimeout=\d+/);
    expect(env.GIT_HTTP_LOW_SPEED_LIMIT).toBe('1');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
  });
  it("keeps a person's own ssh command and low-speed settings", () => {
    expect(gitEnv({ GIT_SSH_COMMAND: 'ssh -i key' }).GIT_SSH_COMMAND).toBe('ssh -i key');
    expect(gitEnv({ GIT_SSH: '/usr/bin/myssh' }).GIT_SSH_COMMAND).toBeUndefined();
    expect(gitEnv({ GIT_HTTP_LOW_SPEED_LIMIT: '100', GIT_HTTP_LOW_SPEED_TIME: '5' }).GIT_HTTP_LOW_SPEED_TIME).toBe('5');
  });
});

describe('a rig whose remote host cannot be reached', () => {
  let dir: string;
  let silent: net.Server;
  let silentPort: number;
  const held: net.Socket[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    // A host that accepts the connection and then never says a word (packets dropped after the
    // handshake, a hung server): ssh waits for its banner.
    silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const applyRig = async (name: string, url: string) => {
    const manifest = path.join(dir, `${name}.yaml`);
    await writeFile(manifest, `${townYaml(path.join(dir, name), name)}---\n${rigYaml('wyvern', url)}`);
    return gt(['apply', '-f', manifest], { env: { HOME: dir } });
  };

  it('a silent host: the clone gives up within the connect timeout and says the host is unreachable', async () => {
    const r = await applyRig('silent', `ssh://git@127.0.0.1:${silentPort}/repo.git`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the host is unreachable');
    expect(r.stderr).toMatch(/timed out/i);
  });

  it('a refused connection: the error keeps the line that says what failed', async () => {
    const r = await applyRig('refused', 'ssh://git@127.0.0.1:1/repo.git');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ssh: connect to host 127.0.0.1 port 1: Connection refused');
  });
});
