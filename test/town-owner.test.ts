import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { statusJson } from './support/json.js';
import { bareRepo, gt, type GtResult } from './support/town.js';
import { until } from './support/workers.js';

/**
 * A town owned by one OS user, acted on by root (sudo gt ...) and by a third user: one tmux
 * server whoever runs gt, no second agent, no file in the town owned by anyone but its owner.
 * Needs root to create the users; skipped otherwise.
 */
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('town-owner.test.ts skipped: creating a second OS user (useradd) needs root');

interface User {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Marks every process gt starts in this file (tmux servers inherit it), so the count is ours alone. */
const MARK = `GT_OWNER_TEST=${randomBytes(6).toString('hex')}`;
const created: User[] = [];
let base = '';
let root = '';
let owner: User;
let stranger: User;

function addUser(home: string): User {
  const name = `gtt${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/sh', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  const u = { name, uid, gid, home };
  created.push(u);
  return u;
}

/** gt as `user` (or as root, the test's own user), with the test's marker in its environment. */
function gtAs(user: User | undefined, args: string[]): Promise<GtResult> {
  const [key, value] = MARK.split('=') as [string, string];
  // The owner keeps its tmux sockets where it may write (root's TMUX_TMPDIR is the run's private
  // directory): before the fix, that is where its server would be.
  const env = user ? { HOME: user.home, USER: user.name, LOGNAME: user.name, TMPDIR: user.home, TMUX_TMPDIR: user.home, [key]: value } : { [key]: value };
  return gt([...args, '--town', root], { cwd: base, env, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
}

interface Proc {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  cmdline: string[];
  environ: string[];
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      out.push({
        pid: Number(entry),
        ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]),
        uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]),
        comm: readFileSync(`/proc/${entry}/comm`, 'utf8').trim(),
        cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
        environ: readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0'),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** tmux servers started by gt in this file, and the demo agents running in this town. */
function census(): { servers: Proc[]; agents: Proc[] } {
  const all = processes();
  const servers = all.filter((p) => p.comm.startsWith('tmux') && p.cmdline[0]?.startsWith('tmux') && p.environ.includes(MARK) && isServer(p, all));
  const agents = all.filter((p) => p.cmdline.includes('demo-agent') && p.environ.includes(`GT_TOWN=${root}`));
  return { servers, agents };
}

/** A tmux server is the tmux process no tmux client waits on: its parent is not tmux (it daemonized). */
function isServer(p: Proc, all: Proc[]): boolean {
  return all.some((c) => c.ppid === p.pid) || !all.find((x) => x.pid === p.ppid)?.comm.startsWith('tmux');
}

function filesNotOwnedBy(dir: string, uid: number): string[] {
  const bad: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      const st = lstatSync(p);
      if (st.uid !== uid) bad.push(`${path.relative(base, p)} (uid ${st.uid})`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return bad;
}

async function statusOf(user: User | undefined): Promise<{ socket: string; workers: { name: string; state: string; session: string }[] }> {
  const r = await gtAs(user, ['status', '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const s = statusJson(r.stdout);
  // Not lastOutput or age: the agent may print, and time pass, between two calls.
  const workers = s.rigs.flatMap((x) => x.workers.map(({ name, state, session, issue }) => ({ name, state, session, issue })));
  return { socket: s.socket, workers };
}

describe.runIf(isRoot)('a town owned by another OS user', () => {
  beforeAll(async () => {
    // Not under the run's temp directory: that one is root's alone (mode 0700).
    base = mkdtempSync('/tmp/gt-owner-');
    chmodSync(base, 0o755);
    owner = addUser(base);
    stranger = addUser('/tmp');
    await bareRepo(base);
    writeFileSync(
      path.join(base, 'town.yaml'),
      `apiVersion: gastown.dev/v1alpha1
kind: Town
metadata:
  name: t
spec:
  root: ./town
---
apiVersion: gastown.dev/v1alpha1
kind: Rig
metadata:
  name: wyvern
spec:
  gitUrl: ./remote.git
  agent:
    command: ["gt", "demo-agent", "--mode", "stuck", "--delay", "100"]
  workers:
    max: 1
    spawnDelay: 0s
`,
    );
    execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, base]);
    root = path.join(base, 'town');
    const a = await gtAs(owner, ['apply', '-f', path.join(base, 'town.yaml')]);
    expect(a.code, a.stderr).toBe(0);
    const c = await gtAs(owner, ['issues', 'create', 'work']);
    expect(c.code, c.stderr).toBe(0);
    const once = await gtAs(owner, ['run', '--once']);
    expect(once.code, once.stderr).toBe(0);
    await until(() => census().agents.length === 1, "the owner's agent to start");
  });

  afterAll(async () => {
    for (const p of census().servers) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await until(() => census().servers.length === 0 && census().agents.length === 0, "the test's tmux servers to end", 10_000).catch(() => undefined);
    for (const u of created) execFileSync('userdel', [u.name], { stdio: 'ignore' });
    if (base) rmSync(base, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });

  it('root and the owner see the same tmux server and sessions', async () => {
    const mine = await statusOf(owner);
    const roots = await statusOf(undefined);
    expect(mine.workers.map((w) => w.state)).toEqual(['working']);
    expect(roots).toEqual(mine);
    // The attach command gt prints reaches that server, whoever types it.
    const text = await gtAs(undefined, ['status']);
    const attach = /\((tmux -S \S+)\)/.exec(text.stdout)?.[1];
    expect(attach, text.stdout).toBeDefined();
    const listed = execFileSync('sh', ['-c', `${attach} list-sessions -F '#{session_name}'`], { encoding: 'utf8' });
    expect(listed.split('\n')).toContain(mine.workers[0]!.session);
  });

  it('root running doctor --fix and run --once acts as the owner: no second server, no second agent, no root-owned file', async () => {
    const before = census();
    expect(before.servers.map((s) => s.uid)).toEqual([owner.uid]);
    expect(before.agents).toHaveLength(1);

    const doctor = await gtAs(undefined, ['doctor', '--fix']);
    expect(doctor.stdout).not.toContain('GT-TMUX-SERVER-MISSING');
    expect(doctor.stderr).toContain(`acting as ${owner.name}`);
    const once = await gtAs(undefined, ['run', '--once']);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stderr).toContain(`acting as ${owner.name}`);

    const after = census();
    expect(after.servers.map((s) => s.pid)).toEqual(before.servers.map((s) => s.pid));
    expect(after.agents.map((a) => a.pid)).toEqual(before.agents.map((a) => a.pid));
    expect(filesNotOwnedBy(root, owner.uid)).toEqual([]);
  });

  it('a user who is neither the owner nor root may read but changes nothing, told whose town it is', async () => {
    chmodSync(base, 0o755);
    const r = await gtAs(stranger, ['run', '--once']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`belongs to ${owner.name}`);
    expect(r.stderr).toContain(`sudo -u ${owner.name} gt run --once`);
    const d = await gtAs(stranger, ['doctor', '--fix']);
    expect(d.code, d.stderr).toBe(4);
    const get = await gtAs(stranger, ['get', 'rig']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toContain('wyvern');
    // The sessions it cannot see (the server admits its owner and root) would all look gone: refused, not misreported.
    for (const args of [['status'], ['doctor']]) {
      const r = await gtAs(stranger, args);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`belongs to ${owner.name}, whose tmux server admits only ${owner.name} and root`);
      expect(r.stdout).not.toContain('GT-TMUX-SERVER-MISSING');
    }
    expect(filesNotOwnedBy(root, owner.uid)).toEqual([]);
    expect(census().agents).toHaveLength(1);
  });
});
