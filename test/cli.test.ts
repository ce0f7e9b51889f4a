import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { parseJson, statusJson } from './support/json.js';
import { bareRepo, gt, killTmuxServer, REPO_ROOT, rigYaml, tempDir, townYaml } from './support/town.js';

describe('the CLI surface a user touches first (the bundled gt)', () => {
  let dir: string;
  let root: string;

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}`);
    const applied = await gt(['apply', '-f', path.join(dir, 'town.yaml'), '--no-reconcile']);
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gt get rig NAME -o yaml prints the object as YAML', async () => {
    const r = await gt(['get', 'rig', 'wyvern', '-o', 'yaml', '--town', root]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parse(r.stdout)).toMatchObject({ kind: 'Rig', metadata: { name: 'wyvern', generation: 1 }, spec: { gitUrl: expect.any(String) as string } });
  });

  it('-o yaml prints the same value as -o json, on every command that reads', async () => {
    const readers = [
      ['get'],
      ['get', 'rig', 'wyvern'],
      ['diff'],
      ['status'],
      ['doctor'],
      ['issues', 'list', '--rig', 'wyvern'],
      ['mail', 'inbox'],
      ['apply', '-f', path.join(dir, 'town.yaml'), '--dry-run'],
    ];
    for (const args of readers) {
      const json = await gt([...args, '-o', 'json', '--town', root]);
      const yaml = await gt([...args, '-o', 'yaml', '--town', root]);
      expect(yaml.stderr, args.join(' ')).toBe('');
      expect(yaml.code, args.join(' ')).toBe(json.code);
      expect(parse(yaml.stdout), args.join(' ')).toEqual(JSON.parse(json.stdout));
    }
  });

  it('-o takes text, json or yaml and names them otherwise', async () => {
    const r = await gt(['get', '-o', 'xml', '--town', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('text, json, yaml');
  });
});

describe('the tests run the bundle users run', () => {
  it('dist/bundle/main.js is built from the current sources (vitest global setup)', async () => {
    const { bundleStaleness } = await import('./support/bundle.js');
    expect(bundleStaleness()).toBeUndefined();
  });
});

describe('every command that changes something prints one json or yaml document with -o', () => {
  let dir: string;
  let root: string;
  let socket: string;
  const data = async <T = unknown>(args: string[], format: 'json' | 'yaml' = 'json'): Promise<T> => {
    const r = await gt([...args, '-o', format, '--town', root]);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    // The whole of stdout is the document: nothing for people is mixed in.
    return (format === 'json' ? JSON.parse(r.stdout) : parse(r.stdout)) as T;
  };

  beforeAll(async () => {
    dir = await tempDir();
    root = path.join(dir, 'town');
    const bare = await bareRepo(dir);
    await writeFile(path.join(dir, 'town.yaml'), `${townYaml(root)}---\n${rigYaml('wyvern', bare)}`);
    expect((await gt(['apply', '-f', path.join(dir, 'town.yaml')])).code).toBe(0);
    socket = statusJson((await gt(['status', '-o', 'json', '--town', root])).stdout).socket;
  });
  afterAll(async () => {
    await killTmuxServer(socket);
    await rm(dir, { recursive: true, force: true });
  });

  it('mail send, issues create and close', async () => {
    const sent = await data(['mail', 'send', 'mayor', '-s', 'hello', '-m', 'body']);
    expect(sent).toMatchObject({ to: 'mayor', from: 'overseer', subject: 'hello', body: 'body', id: expect.any(String) as string });
    expect(await data(['mail', 'send', 'mayor', '-s', 'again', '-m', 'body'], 'yaml')).toMatchObject({ subject: 'again' });
    const created = await data<{ id: string }>(['issues', 'create', 'a task']);
    expect(await data(['issues', 'close', created.id, '-r', 'not needed'])).toMatchObject({ id: created.id, status: 'closed' });
  });

  it('stop, stop --now and start', async () => {
    const stopped = await data<{ changes: { op: string; key: string }[] }>(['stop', '--wait', '1s']);
    expect(stopped).toMatchObject({ town: root, reconciledBy: 'stop', ending: [], polecats: [] });
    expect(stopped.changes).toContainEqual({ op: 'configure', key: 'Town/test' });
    expect(stopped.changes).toContainEqual({ op: 'configure', key: 'Rig/wyvern' });
    expect(await data(['stop', '--now'], 'yaml')).toMatchObject({ changes: [], halted: { socket, sessions: [] }, kept: [] });
    const started = await data<{ changes: { op: string; key: string }[] }>(['start']);
    expect(started).toMatchObject({ reconciledBy: 'start', outcomes: expect.any(Array) as unknown[] });
    expect(started.changes).toContainEqual({ op: 'configure', key: 'Town/test' });
  });

  it('land names the polecat and what happened', async () => {
    const r = await gt(['land', 'wyvern/ghost', '-o', 'json', '--town', root]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('has no work to land');
  });

  it('delete', async () => {
    const deleted = await data<{ outcomes: { key: string }[] }>(['delete', 'rig', 'wyvern']);
    expect(deleted).toMatchObject({ town: root, changes: [{ op: 'delete', key: 'Rig/wyvern' }], reconciledBy: 'delete' });
    expect(deleted.outcomes.map((x) => x.key)).toContain('Rig/wyvern');
  });
});

describe('gt itself', () => {
  it('--version prints the version of package.json', async () => {
    const { version } = parseJson<{ version: string }>(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const r = await gt(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every command, the demo agent too', async () => {
    const r = await gt(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['apply', 'diff', 'get', 'delete', 'run', 'status', 'done', 'land', 'doctor', 'handoff', 'stop', 'start', 'demo-agent', 'issues', 'mail'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('gt demo-agent --help shows its modes instead of running the agent', async () => {
    const r = await gt(['demo-agent', '--help']);
    expect(r.code).toBe(0);
    for (const m of ['normal', 'crash', 'stuck', 'dirty', 'handoff']) expect(r.stdout).toContain(`--mode ${m}`);
  });
});

/** A shell on PATH, or why a check is skipped (`.ci/run` installs zsh and fish). */
function shellOnPath(name: string): boolean {
  try {
    execFileSync(name, ['-c', 'exit 0'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stdout.write(`skipped: ${name} is not installed, so its completion script is not checked here (.ci/run installs it)\n`);
    return false;
  }
}

describe('gt completion: scripts generated from the commander program', () => {
  let dir: string;
  const script = async (shell: string) => {
    const r = await gt(['completion', shell]);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(dir, `gt.${shell}`);
    await writeFile(file, r.stdout);
    return file;
  };
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('bash: a real bash completes commands, subcommands, options and option values', async () => {
    const file = await script('bash');
    // The function `complete -p gt` names, called as bash calls it: COMP_WORDS and COMP_CWORD set.
    const complete = (line: string) => {
      const words = line.split(' ');
      const driver =
        'source "$1"; shift; spec=$(complete -p gt); fn=${spec##*-F }; fn=${fn%% *}; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$fn" gt "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"; printf "%s\\n" "${COMPREPLY[@]}"';
      return execFileSync('bash', ['--norc', '-c', driver, 'bash', file, ...words], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .sort();
    };
    expect(complete('gt ')).toEqual(expect.arrayContaining(['apply', 'completion', 'demo-agent', 'diff', 'get', 'issues', 'mail', 'status']));
    expect(complete('gt st')).toEqual(['start', 'status', 'stop']);
    expect(complete('gt issues ')).toEqual(['close', 'create', 'help', 'list', 'ready', 'retry', 'show']);
    expect(complete('gt mail send --ty')).toEqual(['--type']);
    expect(complete('gt diff --')).toEqual(expect.arrayContaining(['--filename', '--output', '--prune', '--town', '--help']));
    expect(complete('gt get rig -o ')).toEqual(['json', 'text', 'yaml']);
    expect(complete('gt issues list --output y')).toEqual(['yaml']);
    expect(complete('gt completion ')).toEqual(['bash', 'fish', 'zsh']);
    // A global option's value is not taken for a command: `st` after `--town DIR` is still a command.
    expect(complete('gt --town status st')).toEqual(['start', 'status', 'stop']);
    // An option's free value: nothing from gt (bash then completes file names).
    expect(complete('gt apply -f ')).toEqual([]);
  });

  it('zsh: the script parses', async () => {
    if (!shellOnPath('zsh')) return;
    execFileSync('zsh', ['-n', await script('zsh')]);
  });

  it('fish: the script parses, and fish completes from it', async () => {
    if (!shellOnPath('fish')) return;
    const file = await script('fish');
    execFileSync('fish', ['--no-execute', file]);
    const complete = (line: string) =>
      execFileSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort();
    expect(complete('gt st')).toEqual(['start', 'status', 'stop']);
    expect(complete('gt issues l')).toEqual(['list']);
    expect(complete('gt get -o ')).toEqual(['json', 'text', 'yaml']);
  });

  it('an unknown shell is a usage error naming the choices', async () => {
    const r = await gt(['completion', 'ksh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bash, zsh, fish');
  });
});
