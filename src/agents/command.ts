import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Whether an agent's program can be started, found the way env(1) finds it in the session: a
 * name without a slash on the session's PATH, a path (absolute, or relative to the session's
 * working directory) as a file with exec permission. Observation: it reads the file system.
 */
export type CommandCheck = { ok: true; command: string } | { ok: false; command: string; problem: 'notFound' | 'notExecutable'; searched: string[] };

export function checkCommand(command: string, pathVar: string, cwd: string): CommandCheck {
  if (command.includes('/')) {
    // A relative path whose directory does not exist yet (a polecat's clone before its spawn) is checked once it does.
    if (!path.isAbsolute(command) && !isDir(cwd)) return { ok: true, command };
    const file = path.resolve(cwd, command);
    const found = classify(file);
    return found === 'ok' ? { ok: true, command } : { ok: false, command, problem: found, searched: [file] };
  }
  const dirs = pathVar.split(':').map((d) => d || '.');
  // Every rig asks for the same agent on the same PATH: a lookup that depends on no directory of
  // its own is answered once a second, not once per rig (gt diff on 100 rigs).
  const key = dirs.every((d) => path.isAbsolute(d)) ? `${command}\0${pathVar}` : undefined;
  const known = key === undefined ? undefined : lookups.get(key);
  if (known && Date.now() - known.at < LOOKUP_TTL_MS) return known.check;
  let sawFile = false;
  let check: CommandCheck | undefined;
  for (const dir of dirs) {
    const c = classify(path.resolve(cwd, dir, command));
    if (c === 'ok') {
      check = { ok: true, command };
      break;
    }
    if (c === 'notExecutable') sawFile = true;
  }
  check ??= { ok: false, command, problem: sawFile ? 'notExecutable' : 'notFound', searched: dirs };
  if (key !== undefined) lookups.set(key, { at: Date.now(), check });
  return check;
}

const LOOKUP_TTL_MS = 1000;
const lookups = new Map<string, { at: number; check: CommandCheck }>();

function classify(file: string): 'ok' | 'notFound' | 'notExecutable' {
  try {
    if (!statSync(file).isFile()) return 'notFound';
  } catch {
    return 'notFound';
  }
  try {
    accessSync(file, constants.X_OK);
    return 'ok';
  } catch {
    return 'notExecutable';
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** env(1) exits 127 when it cannot find the program and 126 when it cannot run it. */
export function commandExitStatus(status: number | undefined): 'notFound' | 'notExecutable' | undefined {
  return status === 127 ? 'notFound' : status === 126 ? 'notExecutable' : undefined;
}

/**
 * The AgentCommandMissing finding's text (pure): the command, what was searched, and the fix.
 * `who` is what waits (`session gt-mayor`, `rig wyvern's polecats`); `died` names the session
 * whose pane exited with 126/127, when that is how it showed.
 */
export function commandMissingMessage(check: Extract<CommandCheck, { ok: false }>, who: string, died?: { session: string; status: number }): string {
  const what =
    check.problem === 'notExecutable'
      ? check.command.includes('/')
        ? `agent command "${check.command}" is not executable (chmod +x it)`
        : `agent command "${check.command}" is on PATH but not executable (PATH searched: ${check.searched.join(':')})`
      : check.command.includes('/')
        ? `agent command "${check.command}" does not exist (${check.searched[0]})`
        : `agent command "${check.command}" was not found on the session's PATH (${check.searched.join(':')})`;
  const exited = died ? `session ${died.session}'s agent exited with status ${died.status}: ` : '';
  return `${exited}${what}; nothing is started for ${who} until it can be: install it, or set agent.command on the Town or Rig`;
}

/**
 * The same finding when the command itself was found but its pane exited as env(1) does for a
 * missing (127) or unrunnable (126) program: a wrapper (`env`, a script) that could not start
 * what it runs. Restarting it would fail the same way, so nothing is until the agent changes.
 */
export function commandExitMessage(command: string, who: string, died: { session: string; status: number }): string {
  const what = died.status === 126 ? 'could not run a program it starts (not executable)' : 'could not find a program it starts (command not found)';
  return `session ${died.session}'s agent exited with status ${died.status}: "${command}" started but ${what}; nothing is started for ${who} until the agent changes: fix agent.command (or agent.env PATH) on the Town or Rig and gt apply`;
}
