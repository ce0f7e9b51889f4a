import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { stat, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { statusJson } from './support/json.js';
import { bareRepo, gt, killTmuxServer, tempDir } from './support/town.js';
import { until } from './support/workers.js';

describe("the town's tmux socket", () => {
  let dir = '';
  let socket = '';
  afterAll(async () => {
    if (socket) {
      await killTmuxServer(socket);
      await rm(path.dirname(socket), { recursive: true, force: true });
    }
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });

  it('a root too long for a unix socket path: the server listens in /tmp/gt-tmux-<hash>/, a directory only the owner may enter, and gt status says so', async () => {
    dir = await tempDir('gt-socket-');
    const root = path.join(dir, 'a-town-whose-root-is-long'.repeat(4));
    expect(Buffer.byteLength(path.join(root, '.gt', 'tmux.sock'))).toBeGreaterThan(107);
    await bareRepo(dir);
    await writeFile(
      path.join(dir, 'town.yaml'),
      `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: t
spec:
  root: ${root}
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ./remote.git
  agent:
    command: ["gt", "demo-agent", "--mode", "stuck"]
  workers:
    max: 1
    spawnDelay: 0s
`,
    );
    expect((await gt(['apply', '-f', path.join(dir, 'town.yaml')])).code).toBe(0);
    socket = statusJson((await gt(['status', '-o', 'json', '--town', root])).stdout).socket;
    expect(socket).toMatch(/^\/tmp\/gt-tmux-[0-9a-f]{12}\/tmux\.sock$/);
    expect((await gt(['issues', 'create', 'work', '--town', root])).code).toBe(0);
    const once = await gt(['run', '--once', '--town', root]);
    expect(once.code, once.stderr).toBe(0);
    const d = await stat(path.dirname(socket));
    expect(d.mode & 0o777).toBe(0o700);
    expect(d.uid).toBe(process.getuid!());
    await until(() => execFileSync('tmux', ['-S', socket, 'list-sessions', '-F', '#{session_name}'], { encoding: 'utf8' }).includes('gt-wyvern-nux'), 'the polecat session on the fallback socket');
    expect((await gt(['status', '--town', root])).stdout).toContain(`(tmux -S ${socket})`);
  });
});
