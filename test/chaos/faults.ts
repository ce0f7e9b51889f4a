import { spawnSync } from 'node:child_process';
import { appendFile, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { acquireLock } from '../../src/store/lock.js';
import { FAILPOINTS } from '../../src/util/failpoint.js';
import { armVisit, runArmed } from './failpoint-lane.js';
import type { Prng } from './prng.js';
import type { ChaosTown } from './town.js';

/** Faults the harness injects; the agent's own (crash mid-commit, killed between commit and push, no gt done) are counted from its ledger. */
export const HARNESS_FAULTS = [
  'gt-run-failpoint',
  'tmux-server-killed',
  'agent-session-killed',
  'concurrent-apply',
  'concurrent-verbs',
  'torn-issues-line',
  'torn-inbox-line',
  'torn-events-line',
  'truncated-store-object',
  'truncated-worker-record',
  'stale-lock',
  'disk-full',
] as const;
export const AGENT_FAULTS = ['agent-crash-mid-commit', 'agent-killed-commit-push', 'agent-exit-without-done'] as const;
export type FaultKind = (typeof HARNESS_FAULTS)[number] | (typeof AGENT_FAULTS)[number];

export interface FaultOutcome {
  kind: FaultKind;
  detail: string;
  /** The fault could not be made this time (nothing to tear yet): not counted. */
  skipped?: boolean;
  violations?: string[];
}

/** What the harness remembers for the invariants: mail it sent, fragments it tore in. */
export interface ChaosMemory {
  mailSent: { inbox: string; id: string }[];
  inboxFragments: { inbox: string; text: string }[];
  eventFragments: string[];
  failpointsReached: Map<string, number>;
  failpointsTried: Map<string, number>;
  appliedSwarms: number;
  /** The armed loop of a gt-run-failpoint fault, while it runs. */
  lane?: Promise<void>;
  /** What the harness itself could not do (a violation: the run proves less than it says). */
  harnessFailures: string[];
}

export interface FaultContext {
  town: ChaosTown;
  rng: Prng;
  memory: ChaosMemory;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RIG = 'wyvern';

/** A pid that is certainly dead: a process that has already exited. */
function deadPid(): number {
  return spawnSync('true').pid ?? 999_999;
}

/** Appends `text` with no newline under `lock` (a foreign writer that died mid-line, holding the lock as it must). */
async function tear(file: string, lock: string, text: string): Promise<boolean> {
  const held = await acquireLock(lock, { command: 'chaos: torn write', timeoutMs: 30_000, pollMs: 10 });
  try {
    const before = await stat(file).catch(() => undefined);
    if (!before) return false;
    // After an earlier torn line, this one starts a line of its own (as gt's own appends do).
    const ends = before.size === 0 || (await readFile(file)).at(-1) === 0x0a;
    await appendFile(file, ends ? text : `\n${text}`);
    return true;
  } finally {
    await held.release();
  }
}

export async function inject(kind: (typeof HARNESS_FAULTS)[number], c: FaultContext): Promise<FaultOutcome> {
  const { town, rng, memory } = c;
  switch (kind) {
    case 'gt-run-failpoint': {
      // One armed loop at a time, in its own lane; the failpoints in turn: least reached first (one
      // whose work did not come in its window is tried again), then least tried, in seeded order.
      while (memory.lane) await memory.lane;
      const count = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
      const name = [...FAILPOINTS].sort(
        (a, b) => count(memory.failpointsReached, a) - count(memory.failpointsReached, b) || count(memory.failpointsTried, a) - count(memory.failpointsTried, b) || rng.next() - 0.5,
      )[0]!;
      const visit = armVisit(c, name);
      memory.failpointsTried.set(name, (memory.failpointsTried.get(name) ?? 0) + 1);
      memory.lane = runArmed(c, name, visit).then(
        () => {
          memory.lane = undefined;
        },
        (err: unknown) => {
          memory.lane = undefined;
          memory.harnessFailures.push(`the armed loop for ${name} could not be run: ${(err as Error).message}`);
        },
      );
      return { kind, detail: `${name}@${visit} armed (its end is logged)` };
    }
    case 'tmux-server-killed':
      town.tmux(['kill-server']);
      return { kind, detail: 'tmux kill-server' };
    case 'agent-session-killed': {
      const s = town.sessions();
      if (!s.length) return { kind, detail: 'no session', skipped: true };
      const name = rng.pick(s);
      town.tmux(['kill-session', '-t', `=${name}`]);
      return { kind, detail: name };
    }
    case 'concurrent-apply': {
      // Ten at once: one new Swarm, nine re-applies of the Rig with another workers.max.
      const name = `c${++memory.appliedSwarms}`;
      const swarm = town.swarmManifest(name, rng.int(1, 2));
      town.manifests.set(name, swarm);
      const base = town.manifests.get('base')!;
      const runs = [town.apply(swarm), ...Array.from({ length: 9 }, () => town.apply(base.replace(/max: \d+/, `max: ${rng.int(2, 4)}`)))];
      const results = await Promise.all(runs);
      const failed = results.filter((r) => r.code !== 0);
      // A busy town lock may turn one away (it says so); a crash or a parse error is a finding.
      const bad = failed.filter((r) => !/lock|busy/i.test(r.stderr));
      if (results[0]!.code !== 0) {
        const again = await town.apply(swarm);
        if (again.code !== 0) bad.push(again);
      }
      const why = failed[0] ? `: ${(failed[0].stderr || failed[0].stdout).trim().split('\n')[0]}` : '';
      return { kind, detail: `${name} + 9 rig re-applies (${failed.length} turned away${why})`, violations: bad.map((r) => `gt apply failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`) };
    }
    case 'concurrent-verbs': {
      const runs: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) runs.push(town.gt(['issues', 'create', `extra work ${rng.int(0, 1e9)}`, '--rig', RIG, '-o', 'json']));
      for (let i = 0; i < 2; i++) runs.push(town.gt(['issues', 'list', '--rig', RIG, '-o', 'json']));
      const sends = Array.from({ length: 3 }, (_, i) => town.gt(['mail', 'send', 'mayor', '-s', `chaos ${i}`, '-m', 'hello', '-o', 'json']));
      runs.push(...sends, town.gt(['mail', 'inbox', 'mayor', '-o', 'json']));
      await Promise.all(runs);
      const violations: string[] = [];
      for (const r of await Promise.all(sends)) {
        if (r.code !== 0) violations.push(`gt mail send failed: ${r.stderr.trim().split('\n')[0]}`);
        else memory.mailSent.push({ inbox: 'mayor', id: (JSON.parse(r.stdout) as { id: string }).id });
      }
      // Marking one read rewrites the inbox: what it does with a torn line shows.
      const last = memory.mailSent[memory.mailSent.length - 1];
      if (last) await town.gt(['mail', 'read', last.id, '-o', 'json']);
      return { kind, detail: '3 issues create, 2 list, 3 mail send, inbox, read', violations };
    }
    case 'torn-issues-line':
      return tornIssues(c);
    case 'torn-inbox-line': {
      const inbox = path.join(town.root, 'mayor', 'mail', 'inbox.jsonl');
      const text = `{"id":"msg-torn-${rng.int(0, 1e9)}","from":"chaos","to":"mayor","subj`;
      if (!(await stat(inbox).catch(() => undefined))) {
        // No mail yet: the first message makes the inbox.
        const sent = await town.gt(['mail', 'send', 'mayor', '-s', 'before a torn line', '-m', 'hello', '-o', 'json']);
        if (sent.code === 0) memory.mailSent.push({ inbox: 'mayor', id: (JSON.parse(sent.stdout) as { id: string }).id });
      }
      if (!(await tear(inbox, `${inbox}.lock`, text))) return { kind, detail: 'no inbox yet', skipped: true };
      memory.inboxFragments.push({ inbox: 'mayor', text });
      return { kind, detail: 'mayor inbox' };
    }
    case 'torn-events-line': {
      const file = path.join(town.root, '.gt', 'events.jsonl');
      const text = `{"seq":${rng.int(0, 1e9)},"time":"2020-01-01T00:00:00Z","type":"acti`;
      await tear(file, `${file}.lock`, text);
      memory.eventFragments.push(text);
      return { kind, detail: 'events.jsonl' };
    }
    case 'truncated-store-object':
      return truncatedStore(c);
    case 'truncated-worker-record': {
      const dir = path.join(town.root, '.gt', 'workers', RIG);
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('_') && !n.startsWith('.') && !n.endsWith('.done.json'));
      if (!names.length) return { kind, detail: 'no worker record', skipped: true };
      const file = path.join(dir, rng.pick(names));
      const size = (await stat(file).catch(() => undefined))?.size ?? 0;
      if (!size) return { kind, detail: 'record gone', skipped: true };
      await truncate(file, Math.floor(size / 2));
      return { kind, detail: path.basename(file) };
    }
    case 'stale-lock': {
      const candidates = [
        path.join(town.root, '.gt', 'lock'),
        path.join(town.root, '.gt', 'events.jsonl.lock'),
        path.join(town.root, RIG, '.beads', 'issues.jsonl.lock'),
        path.join(town.root, '.gt', 'reconciling', `workers.Rig.${RIG}.lock`),
        path.join(town.root, 'mayor', 'mail', 'inbox.jsonl.lock'),
      ];
      const file = rng.pick(candidates);
      try {
        const fh = await open(file, 'wx');
        await fh.writeFile(JSON.stringify({ pid: deadPid(), host: os.hostname(), command: 'chaos: a process that died', startedAt: new Date().toISOString() }) + '\n');
        await fh.close();
      } catch {
        return { kind, detail: `${path.basename(file)} is held`, skipped: true };
      }
      return { kind, detail: path.relative(town.root, file) };
    }
    case 'disk-full': {
      if (!town.tmpfs) return { kind, detail: 'no tmpfs (not root)', skipped: true };
      const filler = path.join(town.dir, 'filler');
      const fh = await open(filler, 'w');
      const block = Buffer.alloc(1 << 20);
      try {
        for (;;) await fh.write(block);
      } catch {
        // ENOSPC: the disk is full; the last bytes too.
        try {
          for (;;) await fh.write(Buffer.alloc(512));
        } catch {
          // full to the last block
        }
      }
      await fh.close();
      await sleep(rng.int(500, 2500));
      await rm(filler, { force: true });
      return { kind, detail: 'tmpfs filled for a few seconds' };
    }
  }
}

/**
 * A torn line in the rig's issues.jsonl (another program died mid-write): gt must hold the rig
 * with a finding that names the line and never rewrite it away; then a person repairs it.
 */
async function tornIssues(c: FaultContext): Promise<FaultOutcome> {
  const kind = 'torn-issues-line';
  const { town } = c;
  const file = path.join(town.root, RIG, '.beads', 'issues.jsonl');
  const text = `{"id":"torn-${c.rng.int(0, 1e9)}","title":"half a li`;
  if (!(await tear(file, `${file}.lock`, text))) return { kind, detail: 'no issues yet', skipped: true };
  const line = (await readFile(file, 'utf8')).split('\n').findIndex((l) => l.endsWith(text)) + 1;
  await sleep(c.rng.int(1000, 2500));
  const violations: string[] = [];
  const doctor = await town.gt(['doctor', '-o', 'json']);
  if (!doctor.stdout.includes(`issues.jsonl:${line}`) && !new RegExp(`"line":\\s*${line}\\b`).test(doctor.stdout))
    violations.push(`torn issues.jsonl line ${line}: gt doctor names no such line (${(doctor.stdout + doctor.stderr).replace(/\s+/g, ' ').slice(0, 300)})`);
  // The person's repair, under the same lock every writer takes.
  const held = await acquireLock(`${file}.lock`, { command: 'chaos: repair', timeoutMs: 60_000, pollMs: 10 });
  try {
    const now = await readFile(file, 'utf8');
    if (!now.includes(text)) violations.push(`torn issues.jsonl line ${line} was rewritten away by gt`);
    else await writeFile(file, now.replace(`\n${text}`, '\n').replace(text, ''));
  } finally {
    await held.release();
  }
  return { kind, detail: `line ${line}`, violations };
}

/** A store object cut in half (a disk that lost its tail): gt reports it; a person applies it again. */
async function truncatedStore(c: FaultContext): Promise<FaultOutcome> {
  const kind = 'truncated-store-object';
  const { town } = c;
  const dir = path.join(town.root, '.gt', 'store', 'swarm');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
  const name = names.length ? c.rng.pick(names) : undefined;
  const manifest = name && town.manifests.get(name === 's0.json' ? 'base' : name.replace(/\.json$/, ''));
  if (!name || !manifest) return { kind, detail: 'no swarm stored', skipped: true };
  const file = path.join(dir, name);
  const size = (await stat(file)).size;
  await truncate(file, Math.floor(size / 2));
  await sleep(c.rng.int(500, 2000));
  const violations: string[] = [];
  const doctor = await town.gt(['doctor', '-o', 'json']);
  if (!doctor.stdout.includes(name) && !doctor.stderr.includes(name)) violations.push(`truncated store object ${name}: gt doctor does not name it`);
  const again = await town.apply(manifest);
  if (again.code !== 0) violations.push(`truncated store object ${name}: applying it again failed: ${(again.stderr || again.stdout).trim().split('\n')[0]}`);
  return { kind, detail: name, violations };
}
