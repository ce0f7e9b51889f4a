/** A problem located in the user's input: `file:line:col: Object "name": message`. */
export interface Diagnostic {
  file: string;
  line?: number;
  col?: number;
  /** e.g. `Rig "wyvern"`, when the problem belongs to one object. */
  object?: string;
  message: string;
}

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** Every failure the CLI knows how to explain. Anything else is a bug and is shown with its stack. */
export type GtError =
  | { kind: 'invalidInput'; diagnostics: Diagnostic[] }
  | { kind: 'usage'; message: string }
  | { kind: 'townNotFound'; message: string }
  | { kind: 'notFound'; message: string }
  | { kind: 'conflict'; message: string }
  /** The town belongs to another OS user than the one running gt (src/town/owner.ts). */
  | { kind: 'notOwner'; message: string }
  | { kind: 'lockBusy'; lockFile: string; holder: LockHolder | undefined; waitedMs: number; why?: string }
  | { kind: 'reconcileFailed'; failures: { key: string; message: string }[] }
  /** The machine refused (a full disk, a permission): not a bug, and said without a stack. */
  | { kind: 'system'; code: SystemErrorCode; message: string };

/** What a person can do about each error the machine raises. */
const SYSTEM_HINTS = {
  ENOSPC: 'the disk is full: free some space and run it again',
  EDQUOT: 'the disk quota is used up: free some space and run it again',
  EROFS: 'the file system is read-only',
  EIO: 'the disk reported an I/O error',
  EACCES: 'permission denied: check who owns that path',
  EPERM: 'operation not permitted: check who owns that path',
  EMFILE: 'too many open files: raise the limit (ulimit -n) and run it again',
  ENFILE: 'the system has too many open files: run it again later',
} as const;
export type SystemErrorCode = keyof typeof SYSTEM_HINTS;

/** A Node system error the machine raised, as a GtError; undefined for anything else (a bug). */
export function systemError(err: unknown): GtError | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !Object.hasOwn(SYSTEM_HINTS, code)) return undefined;
  return { kind: 'system', code: code as SystemErrorCode, message: (err as Error).message };
}

export class GtFailure extends Error {
  constructor(readonly error: GtError) {
    super(describeError(error));
    this.name = 'GtFailure';
  }
}

export function fail(error: GtError): never {
  throw new GtFailure(error);
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === undefined ? d.file : `${d.file}:${d.line}:${d.col ?? 1}`;
  return `${where}: ${d.object ? `${d.object}: ` : ''}${d.message}`;
}

export function describeError(e: GtError): string {
  switch (e.kind) {
    case 'invalidInput': {
      const n = e.diagnostics.length;
      return `${e.diagnostics.map(formatDiagnostic).join('\n')}\n${n} error${n === 1 ? '' : 's'}; nothing was applied`;
    }
    case 'usage':
    case 'townNotFound':
    case 'notFound':
    case 'conflict':
    case 'notOwner':
      return e.message;
    case 'lockBusy': {
      const h = e.holder;
      const who = h ? `pid ${h.pid} on ${h.host} (${h.command}, since ${h.startedAt})` : 'another process';
      return `${e.why ? `${e.why}: ` : ''}${e.lockFile} is held by ${who}${e.waitedMs > 0 ? `; waited ${Math.round(e.waitedMs / 1000)}s` : ''}`;
    }
    case 'reconcileFailed':
      return e.failures.map((f) => `${f.key}: ${f.message}`).join('\n');
    case 'system':
      return `${e.message} (${SYSTEM_HINTS[e.code]})`;
  }
}

/** Exit codes, kubectl-like: 1 = the work failed, 2 = bad input or usage, 3 = the town is busy, 4 = the town is another user's. */
export function exitCodeFor(e: GtError): number {
  switch (e.kind) {
    case 'reconcileFailed':
    case 'system':
      return 1;
    case 'lockBusy':
      return 3;
    case 'notOwner':
      return 4;
    case 'invalidInput':
    case 'usage':
    case 'townNotFound':
    case 'notFound':
    case 'conflict':
      return 2;
  }
}

export function isLockHolder(v: unknown): v is LockHolder {
  const h = v as LockHolder;
  return typeof v === 'object' && v !== null && typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.startedAt === 'string';
}
