/**
 * What tests read of gt's JSON output and of the JSON files it writes, typed. Where gt has the
 * type, it is gt's own; the shapes written here name only the fields tests look at (a test that
 * reads one more adds it). The parse only says what the test expects: its assertions check it.
 */
import type { reportJson } from '../../src/cli/doctor-report.js';
import type { ObjectStatus } from '../../src/engine/status.js';
import type { Finding } from '../../src/engine/controller.js';

/** JSON text, as the shape the caller expects. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** A JSONL file's records (events.jsonl, an inbox), blank lines skipped. */
export function parseJsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** `gt status -o json`. */
export interface StatusJson {
  socket: string;
  loop: { pid: number; since: string } | null;
  escalations: { id: string; from: string; subject: string; priority: string; at: string }[];
  agents: { name: string; state: string; activityAt?: string }[];
  rigs: {
    rig: string;
    inSync: boolean;
    pending: string[];
    findings: Finding[];
    workers: { name: string; issue: string; state: string; session: string }[];
    breaker: { reason: string; openedAt: string } | null;
  }[];
}

export function statusJson(stdout: string): StatusJson {
  return parseJson<StatusJson>(stdout);
}

/** `gt doctor -o json`. */
export type DoctorJson = ReturnType<typeof reportJson>;

export function doctorJson(stdout: string): DoctorJson {
  return parseJson<DoctorJson>(stdout);
}

/** `gt get KIND NAME -o json`. */
export interface ObjectJson {
  metadata: { name: string; generation: number };
  spec: Record<string, unknown>;
  status?: ObjectStatus;
}

export function objectJson(text: string): ObjectJson {
  return parseJson<ObjectJson>(text);
}

/** A line of `.gt/events.jsonl`. */
export interface EventJson {
  seq: number;
  type: string;
  key?: string;
  action?: { type: string; code?: string };
}

/** `config/rigs.json`. */
export interface RigsFileJson {
  rigs: Record<string, { path: string; gitUrl: string; defaultBranch?: string }>;
}

/** An object gt printed with `-o json` after creating it (an issue, a mail). */
export function idOf(stdout: string): string {
  return parseJson<{ id: string }>(stdout).id;
}
