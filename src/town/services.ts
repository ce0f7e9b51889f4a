import { createHash } from 'node:crypto';
import path from 'node:path';
import { DEFAULT_META_KEYS, SOCKET_PATH_MAX, Tmux, TmuxError, type SessionInfo } from '../runtime/tmux.js';
import type { SessionRuntime } from '../runtime/session-runtime.js';
import { openRepoTracker } from '../beads/repo.js';
import { openTracker } from '../beads/open.js';
import type { IssueTracker } from '../beads/tracker.js';
import { Mailbox } from '../mail/mailbox.js';
import { inboxPath } from '../mail/address.js';
import type { Rig, Town } from '../model/objects.js';
import { WorkerStore } from '../workers/records.js';
import { serverRefused } from './owner.js';
import { rigBeadsPaths, townPaths } from './layout.js';
import { unappliedTown } from '../manifest/validate.js';

/**
 * The town's tmux socket: the spec's (a name or a path), else a path the town owns, so every OS
 * user who runs gt on the town (its owner, root acting as the owner) reaches the one server:
 * `<root>/.gt/tmux.sock`, or, when that is too long for a unix socket path, a directory of the
 * owner's in /tmp named by a hash of the root (the same path for everyone, two towns never share it).
 */
export function townSocket(root: string, town: Town | undefined): string {
  if (town?.spec.tmux.socket) return town.spec.tmux.socket;
  const abs = path.resolve(root);
  const own = townPaths(abs).tmuxSocket;
  if (Buffer.byteLength(own) <= SOCKET_PATH_MAX) return own;
  return fallbackSocket(abs);
}

function fallbackSocket(root: string): string {
  return path.join('/tmp', `gt-tmux-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`, 'tmux.sock');
}

// agent_fp: the effective agent a polecat was started with (a pane that died as env(1) does for a missing program waits for a new one).
export const META_KEYS = [...DEFAULT_META_KEYS, 'polecat', 'agent_fp'] as const;

/** Adapters shared by the controllers of one town, created once per process. */
export class TownServices {
  readonly workers: WorkerStore;
  private readonly tmuxBySocket = new Map<string, Tmux>();
  private readonly trackers = new Map<string, Promise<IssueTracker>>();
  private sessionsCache: { socket: string; at: number; value: Promise<SessionInfo[]> } | undefined;

  constructor(readonly root: string) {
    this.workers = new WorkerStore(townPaths(root).workersDir);
  }

  /** Where the town's agent sessions run, as the controllers see it: tmux on the town's socket today. */
  runtime(town: Town | undefined): SessionRuntime {
    return this.tmux(town);
  }

  /** The town's tmux server itself: its socket for status and doctor, killing it for gt stop --now. */
  tmux(town: Town | undefined): Tmux {
    const socket = townSocket(this.root, town);
    let t = this.tmuxBySocket.get(socket);
    if (!t) {
      t = new Tmux(socket, { metaKeys: META_KEYS, privateDir: socket === fallbackSocket(path.resolve(this.root)) });
      this.tmuxBySocket.set(socket, t);
    }
    return t;
  }

  /**
   * Every session on the town's socket. Rigs reconciled in the same moment share one tmux call;
   * `fresh` skips the cache (after starting or stopping a session).
   */
  sessions(town: Town | undefined, fresh = false): Promise<SessionInfo[]> {
    const socket = townSocket(this.root, town);
    const c = this.sessionsCache;
    if (!fresh && c && c.socket === socket && Date.now() - c.at < 200) return c.value;
    const value = this.tmux(town)
      .listSessions()
      .catch((err: unknown) => {
        if (err instanceof TmuxError && err.reason === 'denied') return serverRefused(this.root, err.stderr.trim());
        throw err;
      });
    this.sessionsCache = { socket, at: Date.now(), value };
    return value;
  }

  forgetSessions(): void {
    this.sessionsCache = undefined;
  }

  tracker(rig: Rig, town: Town | undefined): Promise<IssueTracker> {
    const name = rig.metadata.name;
    const backend = (town ?? unappliedTown(this.root)).spec.beads.backend;
    const location = rig.spec.beads.location ?? 'town';
    const key = JSON.stringify([name, rig.spec.beads.prefix, backend, location, rig.spec.defaultBranch]);
    let t = this.trackers.get(key);
    if (!t) {
      const p = rigBeadsPaths(this.root, name, location);
      t =
        location === 'repository'
          ? openRepoTracker({
              clone: p.clone,
              branch: rig.spec.defaultBranch,
              prefix: rig.spec.beads.prefix,
              fallbackPrefix: name,
              backend,
              actor: 'gt',
              lockFile: p.lockFile,
              pushedMark: p.pushedMark,
            })
          : openTracker(p.dir, { prefix: rig.spec.beads.prefix ?? name, backend, actor: 'gt' });
      this.trackers.set(key, t);
      // A refusal (a bd database without bd on PATH, a clone not made yet) is not remembered: fixing it needs no restart.
      const opened = t;
      opened.catch(() => {
        if (this.trackers.get(key) === opened) this.trackers.delete(key);
      });
    }
    return t;
  }

  mailbox(address: string): Mailbox {
    return new Mailbox(inboxPath(this.root, address));
  }
}
