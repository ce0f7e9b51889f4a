import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AGENT_FAULTS, HARNESS_FAULTS, inject, type ChaosMemory, type FaultContext, type FaultKind } from './faults.js';
import { gatherFacts, readLedger, workerRecords } from './facts.js';
import { checkInvariants, type Violation } from './invariants.js';
import { giveWork } from './failpoint-lane.js';
import { Prng } from './prng.js';
import { ChaosTown } from './town.js';

export interface ChaosOptions {
  seed: number;
  faults: number;
  minutes: number;
  /** Chance that an agent misbehaves on its first start for an issue. */
  agentFaultChance?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  faults: number;
  injected: Record<string, number>;
  survived: Record<string, number>;
  failpointsReached: Record<string, number>;
  failpointsTried: Record<string, number>;
  violations: Violation[];
  seconds: number;
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_DIFF_PASSES = 30;

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const notes: string[] = [];
  const rng = new Prng(o.seed);
  const town = await ChaosTown.create(o.seed, o.agentFaultChance ?? 0.3, (l) => {
    notes.push(l);
    log(l);
  });
  const memory: ChaosMemory = { mailSent: [], inboxFragments: [], eventFragments: [], failpointsReached: new Map(), failpointsTried: new Map(), appliedSwarms: 0, harnessFailures: [] };
  const injected: Record<string, number> = {};
  const survived: Record<string, number> = {};
  const faultViolations: Violation[] = [];
  const doubleClaims: string[] = [];
  // Interrupted (Ctrl-C, a timeout): the town's loop, tmux server and tmpfs go too.
  const interrupted = () => void town.dispose().finally(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    town.startLoop();
    const ctx: FaultContext = { town, rng, memory, log };
    const deadline = started + o.minutes * 60_000;
    // Every kind once first (seeded order), then at random.
    const kinds = HARNESS_FAULTS.filter((k) => k !== 'disk-full' || town.tmpfs);
    const order = rng.shuffle(kinds);
    let n = 0;
    let retry: (typeof kinds)[number] | undefined;
    let skips = 0;
    while (n < o.faults && Date.now() < deadline) {
      const kind = retry ?? (n < order.length ? order[n]! : rng.pick(kinds));
      let outcome;
      try {
        outcome = await inject(kind, ctx);
      } catch (err) {
        outcome = { kind, detail: 'the harness failed', violations: [`the ${kind} fault could not be made: ${(err as Error).message}`] };
      }
      if (outcome.skipped) {
        // Nothing to act on yet (no session, no worker record): the agents get work, the kind is tried again.
        if (skips++ % 20 === 0) await giveWork(ctx);
        if (skips > 240) {
          memory.harnessFailures.push(`${kind} could not be made for 2 minutes: ${outcome.detail}`);
          break;
        }
        retry = kind;
        await sleep(500);
        continue;
      }
      retry = undefined;
      skips = 0;
      n++;
      injected[kind] = (injected[kind] ?? 0) + 1;
      for (const m of outcome.violations ?? []) faultViolations.push({ invariant: kind.startsWith('torn') || kind.startsWith('truncated') ? 'store and inboxes parse' : 'converged', message: m });
      log(`fault ${n}/${o.faults} ${kind}: ${outcome.detail}`);
      const held = new Map<string, string[]>();
      for (const r of await workerRecords(town.root)) if (r.parses) held.set(r.issueId, [...(held.get(r.issueId) ?? []), r.name]);
      for (const [issue, names] of held) if (names.length > 1) doubleClaims.push(`after fault ${n} (${kind}): polecats ${names.join(' and ')} both hold ${issue}`);
      if (n % 10 === 0) await town.resetBreakerIfOpen();
      if (!memory.lane && town.superviseLoop()) log(`gt run was not running: started again; it said last:\n${town.loopExits.at(-1)?.output.split('\n').slice(-25).join('\n') ?? '(nothing)'}`);
      await sleep(rng.int(50, 600));
    }
    while (memory.lane) await memory.lane;
    log(`faults done after ${Math.round((Date.now() - started) / 1000)} s; converging`);
    const diff = await converge(town, log, notes);
    let doctor = await town.gt(['doctor', '-o', 'json']);
    // A stale lock nobody needed since its holder died (a lock injected last) is what gt doctor
    // --fix removes: the person's step, said in the notes.
    if (doctor.stdout.includes('GT-STALE-LOCK')) {
      const fix = await town.gt(['doctor', '--fix']);
      notes.push(`person step: gt doctor --fix for a stale lock -> exit ${fix.code}`);
      doctor = await town.gt(['doctor', '-o', 'json']);
    }
    const status = await town.gt(['status']);
    await town.stopLoop();
    const facts = await gatherFacts(town, memory, { doubleClaims, diff, doctor: doctor.stdout, status: status.stdout });
    // gt run never exits by itself, a full disk included (it waits for space to start).
    for (const e of town.loopExits)
      faultViolations.push({ invariant: 'converged', message: `gt run exited by itself (exit ${e.code ?? e.signal}): ${e.output.trim().split('\n').slice(-3).join(' | ')}` });
    const violations = [...faultViolations, ...memory.harnessFailures.map((message): Violation => ({ invariant: 'the harness', message })), ...checkInvariants(facts)];
    for (const f of (await readLedger(town.ledger)).faults) injected[f] = (injected[f] ?? 0) + 1;
    for (const k of Object.keys(injected)) survived[k] = injected[k]!;
    for (const v of violations) {
      const k = Object.keys(injected).find((x) => v.message.includes(x));
      if (k) survived[k] = Math.max(0, survived[k]! - 1);
    }
    if (violations.length) notes.push(`loop output (tail):\n${town.loopOutput.slice(-3000)}`);
    return {
      seed: o.seed,
      faults: n,
      injected,
      survived,
      failpointsReached: Object.fromEntries(memory.failpointsReached),
      failpointsTried: Object.fromEntries(memory.failpointsTried),
      violations,
      seconds: Math.round((Date.now() - started) / 1000),
      notes,
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await town.dispose();
  }
}

/**
 * After the last fault: the loop runs (restarted if a fault left it dead) until every issue is
 * closed or waits on a person, then `gt diff` must exit 0 within MAX_DIFF_PASSES looks.
 */
async function converge(town: ChaosTown, log: (l: string) => void, notes: string[]): Promise<{ code: number; passes: number; maxPasses: number }> {
  town.superviseLoop();
  const end = Date.now() + 4 * 60_000;
  let open: string[] = [];
  while (Date.now() < end) {
    const text = await readFile(path.join(town.root, 'wyvern', '.beads', 'issues.jsonl'), 'utf8').catch(() => '');
    open = [];
    for (const line of text.split('\n')) {
      try {
        const i = JSON.parse(line) as { id: string; status: string; issue_type?: string };
        if (i.issue_type !== 'epic' && i.status !== 'closed' && i.status !== 'blocked') open.push(`${i.id} ${i.status}`);
      } catch {
        // a torn line is the faults' (repaired by them)
      }
    }
    if (!open.length) break;
    await town.resetBreakerIfOpen();
    if (town.superviseLoop()) notes.push('the loop had exited while converging; started again');
    await sleep(2000);
  }
  if (open.length) log(`work left after 4 minutes: ${open.join(', ')}`);
  let code = 1;
  let passes = 0;
  let last = '';
  while (passes < MAX_DIFF_PASSES) {
    passes++;
    // A breaker tripped by the last faults' dead spawns waits on a person: the suite is that person.
    await town.resetBreakerIfOpen();
    const d = await town.gt(['diff']);
    code = d.code ?? 2;
    last = d.stdout + d.stderr;
    // Nothing to do but what waits on a person (the blocked red task): that is converged too,
    // provided gt doctor's findings are all of that kind (checked with the invariants).
    if (code === 1 && /Plan: 0 to create, 0 to change, 0 to remove, \d+ waiting on you\.\s*$/.test(d.stdout)) code = 0;
    if (code === 0) break;
    await sleep(1000);
  }
  if (open.length) notes.push(`work left unfinished: ${open.join(', ')}`);
  if (code !== 0) notes.push(`gt diff after ${passes} passes (exit ${code}):\n${last}`);
  return { code: open.length ? 1 : code, passes, maxPasses: MAX_DIFF_PASSES };
}

export function formatTable(r: ChaosReport): string {
  const kinds = [...HARNESS_FAULTS, ...AGENT_FAULTS] as FaultKind[];
  const rows = kinds.map((k) => `| ${k} | ${r.injected[k] ?? 0} | ${r.survived[k] ?? 0} |`);
  const total = Object.values(r.injected).reduce((a, b) => a + b, 0);
  const byInvariant = new Map<string, number>();
  for (const v of r.violations) byInvariant.set(v.invariant, (byInvariant.get(v.invariant) ?? 0) + 1);
  const reached = Object.keys(r.failpointsReached).length;
  return [
    `seed ${r.seed}, ${r.faults} harness faults in ${r.seconds} s (the table adds the faults the agents made themselves)`,
    '',
    '| fault | injected | survived |',
    '| --- | --- | --- |',
    ...rows,
    `| total (harness + agents) | ${total} | ${Object.values(r.survived).reduce((a, b) => a + b, 0)} |`,
    '',
    `failpoints: ${reached} of ${Object.keys(r.failpointsTried).length} tried were reached: ${
      Object.entries(r.failpointsReached)
        .map(([k, n]) => `${k}×${n}`)
        .join(', ') || 'none'
    }`,
    `not reached: ${
      Object.keys(r.failpointsTried)
        .filter((k) => !r.failpointsReached[k])
        .join(', ') || 'none'
    }`,
    '',
    `invariant violations: ${r.violations.length}${byInvariant.size ? ` (${[...byInvariant].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
    ...r.violations.map((v) => `  - ${v.invariant}: ${v.message}`),
  ].join('\n');
}
