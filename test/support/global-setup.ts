import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureFreshBundle } from './bundle.js';

const uid = process.getuid?.() ?? 0;
const sharedTmuxDir = path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${uid}`);
let runDir = '';
let sharedBefore = new Set<string>();

/** The pids of a tmux server's sessions (its own pid among them), or [] when no server answers. */
function serverPids(socketDir: string, socket: string): number[] {
  try {
    const out = execFileSync('tmux', ['-S', path.join(socketDir, socket), 'list-sessions', '-F', '#{pid}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return [...new Set(out.split('\n').filter(Boolean).map(Number))];
  } catch {
    return [];
  }
}

function killServer(socketDir: string, socket: string): void {
  try {
    execFileSync('tmux', ['-S', path.join(socketDir, socket), 'kill-server'], { stdio: 'ignore', timeout: 5000 });
  } catch {
    // already gone
  }
  rmSync(path.join(socketDir, socket), { force: true });
}

const listDir = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/**
 * Every tmux server a process of this run started, wherever its socket is (a town's socket is a
 * path in the town, or in /tmp for a long root, not in TMUX_TMPDIR): a server inherits the
 * environment of the client that started it, GT_TEST_RUN included. `server` is how it was named.
 */
function runServers(): { pid: number; server: string; socketPath: string | undefined }[] {
  const out = [];
  for (const entry of listDir('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'tmux: server') continue;
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`GT_TEST_RUN=${runDir}`)) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const s = argv.indexOf('-S');
      const l = argv.indexOf('-L');
      const socketPath = s >= 0 ? argv[s + 1] : undefined;
      out.push({ pid: Number(entry), server: socketPath ? `tmux -S ${socketPath}` : l >= 0 ? `tmux -L ${argv[l + 1]}` : 'tmux (default socket)', socketPath });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * vitest's global setup, once per run (also for `npx vitest run` without `npm test`):
 * - the CLI tests run the bundled gt (dist/bundle/main.js) exactly as users do, so it is built
 *   first from the current sources;
 * - the run gets a temp directory of its own (TMPDIR and TMUX_TMPDIR, inherited by every test
 *   worker, gt process and tmux server), so what it leaves behind is known to be its own even
 *   while other runs share the machine. The teardown fails the run if anything is left in it: a
 *   tmux server, a socket, a temp directory. It also fails for a tmux server started on the
 *   shared socket directory by a process of this run (one that dropped TMUX_TMPDIR), and for any
 *   other server of this run still running wherever its socket is (a town's own socket path,
 *   even once its directory was removed). It cleans up what it reports.
 */
export function setup(): () => void {
  ensureFreshBundle();
  runDir = mkdtempSync(path.join(os.tmpdir(), 'gt-test-run-'));
  sharedBefore = new Set(listDir(sharedTmuxDir));
  process.env.TMPDIR = runDir;
  process.env.TMUX_TMPDIR = runDir;
  process.env.GT_TEST_RUN = runDir;
  return teardown;
}

function teardown(): void {
  const leaks: string[] = [];
  const runTmuxDir = path.join(runDir, `tmux-${uid}`);
  const reported = new Set<number>();
  for (const socket of listDir(runTmuxDir)) {
    const pids = serverPids(runTmuxDir, socket);
    for (const p of pids) reported.add(p);
    leaks.push(pids.length ? `a tmux server still running: tmux -L ${socket} (server pid ${pids.join(', ')})` : `a tmux socket file left behind: ${socket}`);
    killServer(runTmuxDir, socket);
  }
  for (const socket of listDir(sharedTmuxDir).filter((s) => !sharedBefore.has(s))) {
    const ours = serverPids(sharedTmuxDir, socket).some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`GT_TEST_RUN=${runDir}`);
      } catch {
        return false;
      }
    });
    if (!ours) continue;
    for (const p of serverPids(sharedTmuxDir, socket)) reported.add(p);
    leaks.push(`a tmux server still running on the shared socket directory: tmux -L ${socket}`);
    killServer(sharedTmuxDir, socket);
  }
  for (const s of runServers().filter((x) => !reported.has(x.pid))) {
    leaks.push(`a tmux server still running: ${s.server} (server pid ${s.pid})`);
    try {
      process.kill(s.pid, 'SIGTERM');
    } catch {
      // ended meanwhile
    }
    if (s.socketPath) rmSync(s.socketPath, { force: true });
  }
  for (const entry of listDir(runDir).filter((e) => e !== `tmux-${uid}`)) leaks.push(`a temp directory or file left behind: ${entry}`);
  rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  if (!leaks.length) return;
  // vitest reports an error thrown here but exits 0 anyway: the exit code says it too.
  process.exitCode = 1;
  throw new Error(`the tests left ${leaks.length} thing(s) behind (now cleaned up):\n  ${leaks.join('\n  ')}`);
}
