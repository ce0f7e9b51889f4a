import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

type ProcessModule = typeof import('../src/adapters/process.js');

const NODE = process.execPath;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh copy of the module, so no earlier test's state is shared. */
async function freshModule(): Promise<ProcessModule> {
  vi.resetModules();
  return import('../src/adapters/process.js');
}

/** Dead: no such process, or a zombie waiting for whoever inherited it. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function untilGone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!gone(pid)) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return kids;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gt-process-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What run() promises. */
function contract(load: () => Promise<ProcessModule>): void {
  describe('run()', () => {
    let m: ProcessModule;
    beforeAll(async () => {
      m = await load();
    });

    it('starts programs itself', async () => {
      const r = await m.run('sh', ['-c', 'echo $PPID']);
      expect(Number(r.stdout)).toBe(process.pid);
    });

    it('passes every argument intact, with no shell anywhere', async () => {
      const args = ['a b', `it's "quoted"`, '$(touch pwned)', '`touch pwned`', 'line\nbreak', '', '*', 'back\\slash', 'ünï ☃', ';|&<>', ''];
      const r = await m.run(NODE, ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args], { cwd: dir });
      expect(JSON.parse(r.stdout)).toEqual(args);
      expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    });

    it('uses the given cwd and exactly the given env, PATH included', async () => {
      const env = { PATH: process.env.PATH, ONLY: 'x = y; $(z)', EMPTY: '' };
      const r = await m.run('node', ['-e', 'process.stdout.write(JSON.stringify([process.cwd(), process.env]))'], { cwd: dir, env });
      const [cwd, seen] = JSON.parse(r.stdout) as [string, Record<string, string>];
      expect(cwd).toBe(await realpath(dir));
      expect(seen).toEqual(env);
      const here = await m.run('pwd', []);
      expect(here.stdout.trim()).toBe(process.cwd());
      // Values no exec can pass on, and odd names, are node's to judge, whichever way.
      const odd = await m.run('node', ['-e', 'process.stdout.write(process.env.A)'], { env: { PATH: process.env.PATH, 'A=B': 'c' } });
      expect(odd.stdout).toBe('B=c');
      // Arguments no exec can pass on are refused before anything starts.
      await expect(m.run('echo', ['a\0b'])).rejects.toThrow(/null bytes/);
      await expect(m.run('', [])).rejects.toThrow();
    });

    it('keeps stdout and stderr apart, also for several MB', async () => {
      const r = await m.run(NODE, ['-e', "process.stdout.write('o'.repeat(5e6)); process.stderr.write('e'.repeat(1e6) + 'end')"]);
      expect(r.stdout.length).toBe(5e6);
      expect(/^o+$/.test(r.stdout)).toBe(true);
      expect(r.stderr).toBe('e'.repeat(1e6) + 'end');
      const small = await m.run('sh', ['-c', 'echo out; echo err >&2']);
      expect(small).toEqual({ exitCode: 0, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    });

    it('reports exit codes, 128 for a signal, and programs that cannot start as node does', async () => {
      expect((await m.run('sh', ['-c', 'exit 7'])).exitCode).toBe(7);
      expect((await m.run('sh', ['-c', 'kill -TERM $$'])).exitCode).toBe(128);
      expect((await m.run('sh', ['-c', 'kill -KILL $$'], { timeoutMs: 10_000 })).exitCode).toBe(128);
      await expect(m.run('gt-no-such-program', ['x'])).rejects.toMatchObject({ code: 'ENOENT', message: 'spawn gt-no-such-program ENOENT' });
      await expect(m.run('ls', [], { cwd: path.join(dir, 'no-such-dir') })).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(m.run(path.join(dir, 'no-such-program'), [])).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('gives programs stdin, stdout and stderr, and no descriptor of its own', async () => {
      // Only what this process lets every child inherit (none in gt; the test runner leaves
      // some), and ls's own descriptor on the directory it lists.
      const inheritable = (fd: string) => {
        try {
          return !(parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8) & 0o2000000);
        } catch {
          return false; // the listing's own descriptor, closed by now
        }
      };
      const inherited = readdirSync('/proc/self/fd').filter((fd) => Number(fd) > 2 && inheritable(fd));
      const expected = ['0', '1', '2', '3', ...inherited].sort();
      const fds = async (opts: Parameters<ProcessModule['run']>[2]) => (await m.run('ls', ['/proc/self/fd'], opts)).stdout.split('\n').filter(Boolean).sort();
      expect(await fds({})).toEqual(expected);
      expect(await fds({ timeoutMs: 10_000, input: 'x' })).toEqual(expected);
    });

    it('starts programs with default signal dispositions and nothing blocked, as node does', async () => {
      const status = (await m.run('cat', ['/proc/self/status'])).stdout;
      const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s+([0-9a-f]+)$`, 'm').exec(status)![1]}`);
      expect(mask('SigBlk')).toBe(0n);
      expect(mask('SigCgt')).toBe(0n);
      // glibc's posix_spawn leaves its two internal signals (32 and 33) ignored; glibc programs
      // take them back at start-up, and no program may rely on them.
      expect(mask('SigIgn') & ~(3n << 31n)).toBe(0n);
    });

    it('feeds input on stdin, small and large', async () => {
      expect((await m.run('cat', [], { input: 'hello\nworld' })).stdout).toBe('hello\nworld');
      const big = 'x'.repeat(2e6) + '\n';
      expect((await m.run('wc', ['-c'], { input: big })).stdout.trim()).toBe(String(big.length));
      expect((await m.run('cat', [], { input: '' })).stdout).toBe('');
      // No input: stdin is empty (it is /dev/null), never gt's own.
      expect((await m.run('cat', [])).stdout).toBe('');
      // A program that does not read its input is no error (gt once crashed on the EPIPE).
      expect((await m.run('true', [], { input: big })).exitCode).toBe(0);
    });

    it('kills the whole process group at the timeout, grandchildren included', async () => {
      const started = Date.now();
      const r = await m.run('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 400 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBe(128);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await untilGone(Number(r.stdout))).toBe(true);
    });

    it('kills what a timed program left in its group when it exits', async () => {
      const r = await m.run('sh', ['-c', 'sleep 30 & echo $!'], { timeoutMs: 20_000 });
      expect(r).toMatchObject({ exitCode: 0, timedOut: false });
      expect(await untilGone(Number(r.stdout))).toBe(true);
    });

    it('runs many programs at once, each with its own output, and leaks no descriptors or zombies', async () => {
      const batch = () =>
        Promise.all(Array.from({ length: 40 }, (_, i) => m.run('sh', ['-c', 'sleep 0.0$2; printf %s "$1"; printf %s "$1" >&2', 'sh', `run-${i}`, String(i % 7)], i % 2 ? { timeoutMs: 20_000 } : {})));
      const first = await batch();
      first.forEach((r, i) => expect(r).toEqual({ exitCode: 0, stdout: `run-${i}`, stderr: `run-${i}`, timedOut: false }));
      const fds = readdirSync('/proc/self/fd').length;
      await batch();
      expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds);
      const parent = process.pid;
      const zombies = childrenOf(parent).filter((pid) => gone(pid));
      expect(zombies).toEqual([]);
    });
  });
}

contract(freshModule);
