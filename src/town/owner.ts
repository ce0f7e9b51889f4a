import { accessSync, constants, statSync } from 'node:fs';
import { run } from '../adapters/process.js';
import { fail } from '../errors.js';
import { townPaths } from './layout.js';

/**
 * A town belongs to the OS user who owns its `.gt/` (its root, before there is one). Everything
 * gt creates in it and its one tmux server must be that user's: files of another user break the
 * owner's next run, and a second server means a second agent on the same issue and clone.
 *
 * - The owner: nothing to do.
 * - root (`sudo gt doctor --fix`): gt becomes the owner for the whole command (group, groups,
 *   user, HOME), before it touches the town, and says so on stderr. root can reach the owner's
 *   server and write its files anyway, but whatever it created would be root's.
 * - Anyone else: a command that reads (`get`, `diff`, `status`, `doctor` without `--fix`, ...)
 *   reads what it may; one that could change anything is refused, naming the owner and the
 *   command to run instead.
 */
export type TownAccess = 'read' | 'write';

interface Account {
  name: string;
  uid: number;
  gid: number;
  /** Every group the user is in, its own among them. */
  groups: number[];
  home: string;
}

/** The uid owning the town at `root` (its `.gt/`, else the root itself); undefined before either exists. */
export function townOwnerUid(root: string): number | undefined {
  for (const p of [townPaths(root).gtDir, root]) {
    try {
      return statSync(p).uid;
    } catch {
      // not there yet
    }
  }
  return undefined;
}

/**
 * Makes this process fit to work on the town at `root`: returns as is for its owner, turns root
 * into the owner, and refuses `write` access to anyone else. `argv` is the command as typed
 * (without `node gt`), for the message that says how to run it as the owner.
 */
export async function actAsTownOwner(root: string, access: TownAccess, argv: readonly string[]): Promise<void> {
  const me = process.geteuid?.();
  const owner = townOwnerUid(root);
  if (me === undefined || owner === undefined || me === owner) return;
  if (me !== 0 && access === 'read') return;
  const account = await lookUp(owner);
  const who = account ? account.name : `uid ${owner}`;
  if (me !== 0) {
    const sudo = account ? `sudo -u ${account.name} gt ${argv.map(shellWord).join(' ')}` : undefined;
    const myName = (await lookUp(me))?.name;
    fail({
      kind: 'notOwner',
      message: `the town at ${root} belongs to ${who}, and this command would change it as ${myName ? `${myName} (uid ${me})` : `uid ${me}`}; run it as ${who}${sudo ? `: ${sudo}` : ''}`,
    });
  }
  if (!account) {
    fail({
      kind: 'notOwner',
      message: `the town at ${root} belongs to uid ${owner}, which has no account here (getent passwd ${owner} finds none), so root cannot act as its owner; give the town to a user (chown -R USER ${root}) and run gt as that user`,
    });
  }
  becomeUser(account, root);
}

/**
 * For a reader who is not the owner: the town's tmux server admits only its owner and root, so
 * what it would show without the sessions would be wrong (every agent "gone"): a refusal instead.
 */
export async function serverRefused(root: string, cause: string): Promise<never> {
  const owner = townOwnerUid(root);
  const account = owner === undefined ? undefined : await lookUp(owner);
  const who = account?.name ?? (owner === undefined ? 'its owner' : `uid ${owner}`);
  fail({
    kind: 'notOwner',
    message: `the town at ${root} belongs to ${who}, whose tmux server admits only ${who} and root (${cause}); run gt as ${who}${account ? `: sudo -u ${account.name} gt ${process.argv.slice(2).map(shellWord).join(' ')}` : ''}`,
  });
}

/** The account of `uid` as the system's user database has it (NSS, so LDAP users too). */
async function lookUp(uid: number): Promise<Account | undefined> {
  const r = await run('getent', ['passwd', String(uid)], { timeoutMs: 10_000 });
  const fields = r.exitCode === 0 ? r.stdout.trim().split('\n')[0]?.split(':') : undefined;
  if (!fields || fields.length < 7) return undefined;
  const [name, , , gid, , home] = fields as [string, string, string, string, string, string];
  const id = await run('id', ['-G', '--', name], { timeoutMs: 10_000 });
  const groups = id.exitCode === 0 ? id.stdout.trim().split(/\s+/).map(Number).filter(Number.isInteger) : [];
  return { name, uid, gid: Number(gid), groups: groups.length ? groups : [Number(gid)], home };
}

function becomeUser(a: Account, root: string): void {
  try {
    // The order matters: once the uid is not 0 the groups can no longer be changed.
    process.setgroups!(a.groups);
    process.setgid!(a.gid);
    process.setuid!(a.uid);
  } catch (err) {
    fail({ kind: 'notOwner', message: `the town at ${root} belongs to ${a.name}, and root could not act as that user (${(err as Error).message}); run gt as ${a.name}: sudo -u ${a.name} gt ...` });
  }
  // What programs gt starts (git, tmux, agents) take from the environment is the owner's, not
  // root's: git refuses a config file it cannot read, and root's XDG directories are unreadable now.
  process.env.HOME = a.home;
  process.env.USER = a.name;
  process.env.LOGNAME = a.name;
  for (const k of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR']) delete process.env[k];
  for (const k of ['TMPDIR', 'TMUX_TMPDIR']) {
    const dir = process.env[k];
    if (dir && !usable(dir)) delete process.env[k];
  }
  process.stderr.write(`gt: acting as ${a.name} (uid ${a.uid}), the owner of the town at ${root}\n`);
}

function usable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
}
