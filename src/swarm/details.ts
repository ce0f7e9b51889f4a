// A Swarm's progress as its controller reports it (Plan.details) and gt get / gt status show it.
import { listShort } from '../util/list-text.js';

/** What a task's issue is doing, as `gt get swarm` shows it. `missing`: not created yet. */
export type TaskState = 'missing' | 'open' | 'blocked' | 'in_progress' | 'closed' | (string & {});

export interface SwarmTaskRow {
  id: string;
  /** The issue id, or null before it is created. */
  issue: string | null;
  /** From the spec's dependency graph: 1 = no dependsOn, n = every dependency in an earlier wave. */
  wave: number;
  /** open = ready to be worked; blocked = open but waiting (or status blocked). */
  state: TaskState;
  title: string;
  assignee: string | null;
  dependsOn: string[];
  /** Closed, but its merge request is still in the merge queue. */
  awaitingMerge: boolean;
}

/** The swarm controller's status facts (status.details), read by `gt get swarm NAME` and `gt status`. */
export interface SwarmDetails {
  rig: string;
  title: string;
  /** The epic's issue id, or null before it is created. */
  epic: string | null;
  suspended: boolean;
  maxParallel: number | null;
  /** In the spec's order. */
  tasks: SwarmTaskRow[];
  /** Tasks per state. */
  counts: Record<string, number>;
  total: number;
  closed: number;
  /** closed / total, rounded down: 100 only when every task is closed. */
  percent: number;
  /** How many waves the dependency graph has. */
  waves: number;
  /** The lowest wave that still has a task not closed; null when every task is closed. */
  currentWave: number | null;
  /** Waves after the current one that still have tasks not closed. */
  wavesToCome: number[];
  /** Task ids bd ready offers now (open, every blocker closed). */
  ready: string[];
  /** Task ids closed but not merged yet. */
  awaitingMerge: string[];
  /** Every task closed and merged. */
  complete: boolean;
  /** Tasks removed from the spec whose issues stay open because work was done on them. */
  removedWithWork: { id: string; issue: string; status: string }[];
  /** The rig (or its issue database) is gone: these are the last facts read from it, kept as they were. */
  rigMissing?: boolean;
}

/** One line: "3/5 tasks closed (60%), wave 2 of 3 in progress (ready: b, c); waves to come: 3". */
export function progressLine(d: SwarmDetails): string {
  const parts = [`${d.closed}/${d.total} tasks closed (${d.percent}%)`];
  if (d.complete) parts.push('every task closed and merged');
  else if (d.currentWave !== null) parts.push(`wave ${d.currentWave} of ${d.waves} in progress${d.ready.length ? ` (ready: ${listShort(d.ready)})` : ''}`);
  let line = parts.join(', ');
  if (!d.complete && d.awaitingMerge.length) line += `; awaiting merge: ${listShort(d.awaitingMerge)}`;
  if (!d.complete) line += `; waves to come: ${d.wavesToCome.length ? listShort(d.wavesToCome.map(String)) : 'none'}`;
  if (d.suspended) line += ' [suspended]';
  if (d.rigMissing) line += ` [last known: rig ${d.rig} is gone]`;
  return line;
}

/** The task table of `gt get swarm NAME`: wave order, then the spec's order. */
export function taskTable(d: SwarmDetails): string[] {
  const rows = [...d.tasks]
    .map((t, i) => ({ t, i }))
    .sort((a, b) => a.t.wave - b.t.wave || a.i - b.i)
    .map(({ t }) => [t.id, t.issue ?? '-', String(t.wave), t.state + (t.awaitingMerge ? ' (merging)' : ''), t.title]);
  const header = ['TASK', 'ISSUE', 'WAVE', 'STATE', 'TITLE'];
  const widths = header.map((h, c) => rows.reduce((w, r) => Math.max(w, r[c]!.length), h.length));
  return [header, ...rows].map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Whether status details look like a swarm's (they are stored as unknown JSON). */
export function isSwarmDetails(v: unknown): v is SwarmDetails {
  return typeof v === 'object' && v !== null && Array.isArray((v as SwarmDetails).tasks) && typeof (v as SwarmDetails).percent === 'number';
}
