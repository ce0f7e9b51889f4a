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
  | { kind: 'reconcileFailed'; failures: { key: string; message: string }[] };

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
  }
}

/** Exit codes, kubectl-like: 1 = the work failed, 2 = bad input or usage, 3 = the town is busy, 4 = the town is another user's. */
export function exitCodeFor(e: GtError): number {
  switch (e.kind) {
    case 'reconcileFailed':
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
