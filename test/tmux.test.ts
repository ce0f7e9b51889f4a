import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tempDir } from './support/town.js';

// The real run(), wrapped only to record every tmux invocation (see the last test).
vi.mock('../src/adapters/process.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/adapters/process.js')>();
  return { ...actual, run: vi.fn(actual.run) };
});

import { run } from '../src/adapters/process.js';
import { Tmux, TmuxError, tmuxCommandLine, type SessionInfo } from '../src/runtime/tmux.js';
import { decodeMeta, encodeMeta, parseShowEnvironment, tmuxArg } from '../src/runtime/tmux-text.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await fn();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await sleep(50);
    v = await fn();
  }
  return v;
}

function clientEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** The user's default tmux server as the tests found it (sessions, or the "no server" failure). */
function defaultServerState(): { status: number | null; sessions: string } {
  const r = spawnSync('tmux', ['ls', '-F', '#{session_name} #{session_created}'], { env: clientEnv(), encoding: 'utf8' });
  return { status: r.status, sessions: r.stdout };
}

function socketFile(socket: string): string {
  return path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`, socket);
}

function killRaw(socket: string): void {
  spawnSync('tmux', ['-L', socket, 'kill-server'], { env: clientEnv(), stdio: 'ignore' });
}

const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
/** Files an injected command would create; none may ever exist. */
const pwned = (n: number) => path.join(os.tmpdir(), `pwned${n}-${RUN_ID}`);
const PWNED = Array.from({ length: 12 }, (_, i) => pwned(i));
/** A shell word naming pwned(n) without any "/" (for a directory name). */
const pwnedWord = (n: number) => `"$(printf '${pwned(n).replaceAll('/', '\\057')}')"`;

describe('tmux adapter (real tmux on a private socket)', () => {
  const sockets: string[] = [];
  let tmux: Tmux;
  let dir: string;
  let defaultBefore: ReturnType<typeof defaultServerState>;

  beforeAll(async () => {
    defaultBefore = defaultServerState();
    dir = await realpath(await tempDir('gt-tmux-'));
  });

  beforeEach(() => {
    const socket = `gt-test-${RUN_ID}-${randomBytes(3).toString('hex')}`;
    sockets.push(socket);
    tmux = new Tmux(socket);
  });

  afterEach(async () => {
    killRaw(tmux.socket);
    await rm(socketFile(tmux.socket), { force: true });
  });

  afterAll(async () => {
    for (const s of sockets) {
      killRaw(s);
      await rm(socketFile(s), { force: true });
    }
    await rm(dir, { recursive: true, force: true });
    for (const p of PWNED) await rm(p, { force: true });
  });

  const find = async (name: string): Promise<SessionInfo | undefined> => (await tmux.listSessions()).find((s) => s.name === name);

  it('a server that is not running: listSessions is [], kill and has are quiet no-ops', async () => {
    expect(await tmux.listSessions()).toEqual([]);
    expect(await tmux.hasSession('gt-nobody')).toBe(false);
    await tmux.killSession('gt-nobody');
    await tmux.killServer();
    await expect(tmux.sessionEnv('gt-nobody')).rejects.toBeInstanceOf(TmuxError);
    // A stale socket file left by a killed server is "not running" too.
    await tmux.startSession({ name: 'gt-tmp', cwd: dir, env: {}, argv: ['sleep', '30'] });
    await tmux.killServer();
    expect(await tmux.listSessions()).toEqual([]);
  });

  it('starts a session in its cwd with its env and meta, lists it in one call, and kills it', async () => {
    const cwd = path.join(dir, `work #(touch ${pwnedWord(0)}) #{session_name} ;`);
    await mkdir(cwd);
    const meta = { role: 'polecat', rig: 'wyvern', issue: 'gt-42', fingerprint: 'sha256:ab;c #x\u001f:y' };
    await tmux.startSession({
      name: 'gt-wyvern-nux',
      cwd,
      env: { GT_ISSUE: 'gt-42', GT_ROLE: 'polecat' },
      argv: ['sh', '-c', 'pwd; printenv GT_ISSUE; echo ready; exec sleep 30'],
      meta,
    });
    const screen = await until(
      'the agent to print',
      () => tmux.capturePane('gt-wyvern-nux'),
      (s) => s.includes('ready'),
    );
    expect(screen.split('\n').slice(0, 3)).toEqual([cwd, 'gt-42', 'ready']);

    const s = await until(
      'sleep to be the pane command',
      () => find('gt-wyvern-nux'),
      (v) => v?.currentCommand === 'sleep',
    );
    expect(s).toMatchObject({ name: 'gt-wyvern-nux', dead: false, exitStatus: undefined, exitSignal: undefined, meta });
    expect(s!.pid).toBeGreaterThan(1);
    expect(() => process.kill(s!.pid!, 0)).not.toThrow();
    expect(Math.abs(s!.created.getTime() - Date.now())).toBeLessThan(60_000);
    expect(s!.activity.getTime()).toBeGreaterThanOrEqual(s!.created.getTime());

    const env = await tmux.sessionEnv('gt-wyvern-nux');
    expect(env).toMatchObject({ GT_ISSUE: 'gt-42', GT_ROLE: 'polecat' });

    await tmux.setMeta('gt-wyvern-nux', 'issue', 'gt-43');
    await tmux.setMeta('gt-wyvern-nux', 'rig', '');
    const { rig: _removed, ...kept } = meta;
    expect((await find('gt-wyvern-nux'))!.meta).toStrictEqual({ ...kept, issue: 'gt-43' });

    expect(await tmux.hasSession('gt-wyvern-nux')).toBe(true);
    expect(await tmux.hasSession('gt-wyvern')).toBe(false); // tmux alone would match this prefix
    await tmux.killSession('gt-wyvern');
    expect(await tmux.hasSession('gt-wyvern-nux')).toBe(true);

    await tmux.killSession('gt-wyvern-nux');
    expect(await tmux.hasSession('gt-wyvern-nux')).toBe(false);
    expect(await tmux.listSessions()).toEqual([]);
    expect(PWNED.filter((p) => existsSync(p))).toEqual([]);
  });

  it('the agent gets the PATH it is given, and its program is looked up there', async () => {
    const bin = path.join(dir, 'town bin');
    await mkdir(bin);
    const out = path.join(dir, 'tool.out');
    await writeFile(path.join(bin, 'gt-tool'), `#!/bin/sh\nprintf '%s\\n' "$PATH" "$@" > "${out}"\nexec sleep 30\n`, { mode: 0o755 });
    const PATH = `${bin}:/usr/bin:/bin`;
    await tmux.startSession({ name: 'tool', cwd: dir, env: { PATH }, argv: ['gt-tool', 'a b'] });
    await until(
      'the tool to run',
      () => existsSync(out),
      (v) => v,
    );
    await until(
      'the tool to write',
      () => readFile(out, 'utf8'),
      (t) => t.endsWith('\n') && t.split('\n').length >= 3,
    );
    expect(await readFile(out, 'utf8')).toBe(`${PATH}\na b\n`);
    expect((await tmux.sessionEnv('tool')).PATH).toBe(PATH);
    expect((await find('tool'))!.dead).toBe(false);
  });

  it('sendKeys types literal text (no key names, no tmux command separators) into cat; Enter is a separate key', async () => {
    await tmux.startSession({ name: 'cat', cwd: dir, env: {}, argv: ['cat'] });
    await tmux.startSession({ name: 'other', cwd: dir, env: {}, argv: ['sleep', '30'] });
    const text = `-l C-c Enter $(touch ${pwned(1)}) "q" 'x';`;
    await tmux.sendKeys('cat', text, { enter: true });
    const screen = await until(
      'cat to echo the line',
      () => tmux.capturePane('cat'),
      (s) => s.split('\n').filter((l) => l === text).length === 2,
    );
    expect(screen.split('\n')).toEqual([text, text]); // the tty's echo, then cat's copy
    // Targets are exact: "ca" is not "cat" (plain tmux -t would pick "cat" by prefix).
    await expect(tmux.sendKeys('ca', 'oops', { enter: true })).rejects.toMatchObject({ reason: 'noSession' });
    await expect(tmux.capturePane('ca')).rejects.toMatchObject({ reason: 'noSession' });
    await expect(tmux.setMeta('ca', 'role', 'x')).rejects.toMatchObject({ reason: 'noSession' });
    await expect(tmux.sessionEnv('ca')).rejects.toMatchObject({ reason: 'noSession' });
    await tmux.sendKeys('cat', 'no enter');
    await until(
      'the unsubmitted text',
      () => tmux.capturePane('cat'),
      (s) => s.endsWith('no enter'),
    );
    expect((await tmux.listSessions()).map((s) => s.name).sort()).toEqual(['cat', 'other']);
    await tmux.killSession('cat');
    expect((await tmux.listSessions()).map((s) => s.name)).toEqual(['other']);
    expect(existsSync(pwned(1))).toBe(false);
  });

  it('a crashed agent stays inspectable: dead pane with its exit status or signal', async () => {
    await tmux.startSession({ name: 'exit3', cwd: dir, env: {}, argv: ['sh', '-c', 'exit 3'], meta: { role: 'polecat' } });
    await tmux.startSession({ name: 'killed', cwd: dir, env: {}, argv: ['sh', '-c', 'kill -TERM $$'] });
    await tmux.startSession({ name: 'missing', cwd: dir, env: {}, argv: ['gt-no-such-program'] });
    // Node exits slowly enough to hit tmux's libutempter race (its SIGCHLD is dropped), which
    // listSessions works around; without that these statuses never arrive.
    const nodes = ['node1', 'node2', 'node3', 'node4'];
    for (const name of nodes) await tmux.startSession({ name, cwd: dir, env: {}, argv: [process.execPath, '-e', 'process.exit(7)'] });
    // tmux marks the pane dead when the pty closes and learns the status a moment later.
    const all = await until(
      'every exit status',
      () => tmux.listSessions(),
      (l) => l.length === 7 && l.every((s) => s.dead && (s.exitStatus ?? s.exitSignal) !== undefined),
      5_000,
    );
    const by = Object.fromEntries(all.map((s) => [s.name, s]));
    for (const name of nodes) expect(by[name]).toMatchObject({ dead: true, exitStatus: 7 });
    expect(by.exit3).toMatchObject({ dead: true, exitStatus: 3, exitSignal: undefined, meta: { role: 'polecat' } });
    expect(by.killed).toMatchObject({ dead: true, exitStatus: undefined, exitSignal: 15 });
    expect(by.missing).toMatchObject({ dead: true, exitStatus: 127 }); // env(1): command not found
    expect(await tmux.hasSession('exit3')).toBe(true);
  });

  it('INJECTION: argv elements, env values and meta reach the agent verbatim; no shell or tmux command ever runs', async () => {
    const evil = [
      `$(touch ${pwned(2)})`,
      `\`touch ${pwned(3)}\``,
      `'; touch ${pwned(4)} #`,
      '"quoted"',
      'line one\nline two',
      `#(touch ${pwned(5)})`,
      '#{session_name}',
      'x;', // tmux would end its command here, and run the next argument as a tmux command:
      'kill-server',
      ';',
      `run-shell "touch ${pwned(6)}"`,
      'a\\;',
      '\\',
      '-e',
      '--',
      '',
      '  spaced  ',
      'ünïcödé ✓',
      '\u001f\t%41',
    ];
    const title = `Fix $(touch ${pwned(7)}) and \`touch ${pwned(8)}\` '; touch ${pwned(9)} # "quoted"\nsecond line #(touch ${pwned(10)}) ;`;
    const out = path.join(dir, 'agent.json');
    const script = "require('fs').writeFileSync(process.argv[1], JSON.stringify({argv: process.argv.slice(2), title: process.env.GT_TITLE, semi: process.env.GT_SEMI, cwd: process.cwd()}))";
    await tmux.startSession({
      name: 'inject',
      cwd: dir,
      env: { GT_TITLE: title, GT_SEMI: 'a\\;' },
      argv: [process.execPath, '-e', script, out, ...evil],
      meta: { issue: title, fingerprint: ';' },
    });
    await until(
      'the agent to write its argv',
      () => existsSync(out),
      (v) => v,
    );
    await sleep(100); // let writeFileSync finish
    const seen = JSON.parse(await readFile(out, 'utf8')) as { argv: string[]; title: string; semi: string; cwd: string };
    expect(seen).toEqual({ argv: evil, title, semi: 'a\\;', cwd: dir });

    const s = await until(
      'the agent to exit',
      () => find('inject'),
      (v) => v?.dead === true && v.exitStatus !== undefined,
    );
    expect(s).toMatchObject({ exitStatus: 0, meta: { issue: title, fingerprint: ';' } });
    expect((await tmux.sessionEnv('inject')).GT_TITLE).toBe(title);
    expect(PWNED.filter((p) => existsSync(p))).toEqual([]);
  });

  it('rejects bad names, duplicates, bad cwd/argv, undeclared meta keys and over-long commands clearly', async () => {
    const start = (name: string, extra: Partial<Parameters<Tmux['startSession']>[0]> = {}) => tmux.startSession({ name, cwd: dir, env: {}, argv: ['sleep', '30'], ...extra });
    for (const bad of ['a.b', 'a:b', '', 'x'.repeat(65), 'a b', '=a', 'é']) {
      await expect(start(bad)).rejects.toThrow(/invalid tmux session name/);
    }
    await expect(tmux.sendKeys('a.b', 'x')).rejects.toThrow(/invalid tmux session name/);
    for (const bad of ['../x', 'a/b', '.hidden', '-L', '']) expect(() => new Tmux(bad)).toThrow(/invalid tmux socket "/);
    expect(() => new Tmux(`/${'x'.repeat(107)}`)).toThrow(/108 bytes long; a unix socket path may have at most 107/);
    expect(new Tmux('gt-my.town-abc123').socket).toBe('gt-my.town-abc123');

    await start('dup', { meta: { role: 'first' } });
    const err = await start('dup', { meta: { role: 'second' }, argv: ['sh', '-c', `touch ${pwned(11)}`] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TmuxError);
    expect(err).toMatchObject({ reason: 'duplicate', message: 'tmux session dup already exists' });
    expect((err as TmuxError).stderr).toMatch(/duplicate session/);
    expect((err as TmuxError).args).toContain('new-session');
    expect((await find('dup'))!.meta).toEqual({ role: 'first' });

    await expect(start('rel', { cwd: 'relative/dir' })).rejects.toThrow(/absolute path/);
    await expect(start('nodir', { cwd: path.join(dir, 'missing') })).rejects.toThrow(/not a directory/);
    await expect(start('noargv', { argv: [] })).rejects.toThrow(/must name a program/);
    await expect(start('dash', { argv: ['-i', 'x'] })).rejects.toThrow(/must not start with "-"/);
    await expect(start('assign', { argv: ['A=b', 'x'] })).rejects.toThrow(/contain "="/);
    await expect(start('badenv', { env: { 'A-B': 'x' } })).rejects.toThrow(/invalid environment variable name/);
    await expect(start('badmeta', { meta: { color: 'x' } })).rejects.toThrow(/metadata key "color" is not listed/);
    await expect(tmux.setMeta('dup', 'Bad-Key', 'x')).rejects.toThrow(/invalid metadata key/);
    await expect(start('long', { argv: ['echo', 'x'.repeat(20_000)] })).rejects.toMatchObject({ reason: 'tooLong' });
    expect((await tmux.listSessions()).map((s) => s.name)).toEqual(['dup']);
    expect(existsSync(pwned(11))).toBe(false);

    const extra = new Tmux(tmux.socket, { metaKeys: ['role', 'swarm'] });
    await extra.setMeta('dup', 'swarm', 'w1');
    expect((await extra.listSessions())[0]!.meta).toEqual({ role: 'first', swarm: 'w1' });
  });

  it('a socket path (tmux -S): one server whoever names it; a private directory is made 0700 and refused when not ours alone', async () => {
    const socket = path.join(dir, 'private', 'tmux.sock');
    const byPath = new Tmux(socket, { privateDir: true });
    expect(byPath.commandLine).toBe(`tmux -S ${socket}`);
    expect(tmuxCommandLine("/tmp/it's here/s")).toBe(`tmux -S '/tmp/it'\\''s here/s'`);
    expect(tmuxCommandLine('gt-x')).toBe('tmux -L gt-x');
    try {
      await byPath.startSession({ name: 'p', cwd: dir, env: {}, argv: ['sleep', '30'] });
      expect((await stat(path.dirname(socket))).mode & 0o777).toBe(0o700);
      expect((await new Tmux(socket).listSessions()).map((x) => x.name)).toEqual(['p']);
    } finally {
      await byPath.killServer();
    }
    await chmod(path.dirname(socket), 0o777);
    await expect(byPath.startSession({ name: 'q', cwd: dir, env: {}, argv: ['sleep', '30'] })).rejects.toThrow(/private\/? may be written by others/);
    if (process.getuid!() === 0) {
      await chmod(path.dirname(socket), 0o700);
      await chown(path.dirname(socket), 65534, 65534);
      await expect(byPath.startSession({ name: 'q', cwd: dir, env: {}, argv: ['sleep', '30'] })).rejects.toThrow(/belongs to uid 65534, not to this user/);
    }
    expect(await byPath.listSessions()).toEqual([]);
  });

  it('capturePane shows the visible pane, and with lines also that much scrollback', async () => {
    await tmux.startSession({ name: 'lots', cwd: dir, env: {}, argv: ['sh', '-c', 'i=1; while [ $i -le 120 ]; do echo line$i; i=$((i+1)); done; exec sleep 30'] });
    const visible = await until(
      'line120',
      () => tmux.capturePane('lots'),
      (s) => s.includes('line120'),
    );
    expect(visible.split('\n')).not.toContain('line1');
    expect(visible.split('\n').length).toBeLessThanOrEqual(50);
    const more = await tmux.capturePane('lots', { lines: 200 });
    expect(more.split('\n').slice(0, 2)).toEqual(['line1', 'line2']);
    expect(more.split('\n')).toContain('line120');
    await expect(tmux.capturePane('lots', { lines: -1 })).rejects.toThrow(/non-negative/);
    await expect(tmux.capturePane('nosuch')).rejects.toMatchObject({ reason: 'noSession' });
  });

  it('helpers: trailing ";" escaping, meta encoding, show-environment parsing', () => {
    expect(tmuxArg('a;')).toBe('a\\;');
    expect(tmuxArg(';')).toBe('\\;');
    expect(tmuxArg('a\\;')).toBe('a\\\\;');
    expect(tmuxArg('a;b')).toBe('a;b');
    expect(() => tmuxArg('a\0b')).toThrow(/NUL/);
    for (const v of ['plain', 'a:b#c;d e\n\u001f%', 'ünï ✓', '%zz']) {
      expect(encodeMeta(v)).toMatch(/^[A-Za-z0-9_%-]*$/);
      expect(decodeMeta(encodeMeta(v))).toBe(v);
    }
    expect(decodeMeta('%zz')).toBe('%zz'); // not ours: shown as is
    const out = 'unset DISPLAY;\nA="x\\"\\$\\`\\\\y"; export A;\nB="l1\nl2\nC=\\"fake\\"; export C;"; export B;\nE=""; export E;\n';
    expect(parseShowEnvironment(out)).toEqual({ A: 'x"$`\\y', B: 'l1\nl2\nC="fake"; export C;', E: '' });
  });

  it('only ever talks to its private socket: every tmux call names it, and the default server is untouched', () => {
    const calls = vi.mocked(run).mock.calls.filter(([cmd]) => cmd === 'tmux');
    expect(calls.length).toBeGreaterThan(20);
    for (const [, args] of calls) {
      if (args.length === 1 && args[0] === '-V') continue; // version query, no server
      const i = args.includes('-L') ? args.indexOf('-L') : args.indexOf('-S');
      expect(i, args.join(' ')).toBeGreaterThanOrEqual(0);
      expect(args[i + 1]).toMatch(args[i] === '-L' ? /^gt-test-/ : new RegExp(`^${dir}/`));
      expect(args.slice(0, i)).toEqual(['-u', '-f', '/dev/null']);
    }
    expect(defaultServerState()).toEqual(defaultBefore);
  });
});
