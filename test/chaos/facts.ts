import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pidAlive } from '../../src/store/lock.js';
import { AGENT_FILES, sessionName } from '../../src/workers/polecat.js';
import type { ChaosMemory } from './faults.js';
import type { Facts, LedgerCommit } from './invariants.js';
import type { ChaosTown } from './town.js';

const RIG = 'wyvern';

/** Finding codes that wait on a person, each explained in the README's Reliability section. */
export const PERSON_FINDINGS = ['GT-ISSUE-BLOCKED', 'GT-DIRTY-FINISHED-CLONE', 'GT-MAIL-TORN'] as const;

function gitLines(args: string[], cwd: string): string[] {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

async function walk(dir: string, visit: (file: string) => void, skip: (dir: string) => boolean): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip(p)) await walk(p, visit, skip);
    } else visit(p);
  }
}

const parses = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Every finding in gt doctor's JSON, wherever it sits. */
export function findingsIn(json: string): { code: string; message: string }[] {
  const out: { code: string; message: string }[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.code === 'string' && /^GT-/.test(o.code))
        out.push({ code: o.code, message: typeof o.message === 'string' ? o.message : typeof o.problem === 'string' ? o.problem : JSON.stringify(o) });
      else Object.values(o).forEach(visit);
    }
  };
  try {
    visit(JSON.parse(json));
  } catch {
    out.push({ code: 'GT-DOCTOR-UNREADABLE', message: json.slice(0, 200) });
  }
  return out;
}

export async function readLedger(file: string): Promise<{ commits: LedgerCommit[]; faults: string[] }> {
  const commits: LedgerCommit[] = [];
  const faults: string[] = [];
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { commit?: string; fault?: string; issue: string; polecat: string; clone: string };
    if (e.commit) commits.push({ sha: e.commit, issue: e.issue, polecat: e.polecat, clone: e.clone });
    if (e.fault) faults.push(e.fault);
  }
  return { commits, faults };
}

export async function workerRecords(root: string): Promise<Facts['workerRecords']> {
  const dir = path.join(root, '.gt', 'workers', RIG);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !n.startsWith('_') && !n.startsWith('.') && !n.endsWith('.done.json'));
  return Promise.all(
    names.map(async (n) => {
      const file = path.join(dir, n);
      const text = await readFile(file, 'utf8').catch(() => '');
      if (!parses(text)) return { name: n.replace(/\.json$/, ''), issueId: '', state: '', file, parses: false };
      const r = JSON.parse(text) as { name: string; issueId: string; state: string };
      return { name: r.name, issueId: r.issueId, state: r.state, file, parses: true };
    }),
  );
}

export async function gatherFacts(town: ChaosTown, memory: ChaosMemory, extra: { doubleClaims: string[]; diff: Facts['diff']; doctor: string; status: string }): Promise<Facts> {
  const root = town.root;
  const ledger = await readLedger(town.ledger);
  const polecatsDir = path.join(root, RIG, 'polecats');
  const cloneDirs: Facts['cloneDirs'] = [];
  const clones: Facts['clones'] = [];
  for (const name of await readdir(polecatsDir).catch(() => [] as string[])) {
    const p = path.join(polecatsDir, name);
    const entries = await readdir(p).catch(() => [] as string[]);
    // A released polecat's directory may keep only its mail (a merge rejection sent after it left): no clone, nothing partial.
    if (!entries.includes('.git') && entries.every((e) => AGENT_FILES.has(e))) continue;
    const whole = gitLines(['rev-parse', '--verify', 'HEAD'], p).length === 1 && !name.includes('.gt-partial-');
    cloneDirs.push({ path: whole ? p : `${p} (holds ${entries.join(', ') || 'nothing'})`, whole });
    clones.push({ path: p, commits: gitLines(['rev-list', '--all', '--reflog'], p) });
  }
  const refinery = path.join(root, RIG, 'refinery', 'rig');
  cloneDirs.push({ path: refinery, whole: gitLines(['rev-parse', '--verify', 'HEAD'], refinery).length === 1 });
  const locks: Facts['locks'] = [];
  const storeFiles: Facts['storeFiles'] = [];
  const inboxFiles: string[] = [];
  const lockFiles: string[] = [];
  await walk(
    root,
    (file) => {
      if (file.endsWith('.lock') || file.endsWith('.lock.break')) lockFiles.push(file);
      if (file.endsWith(path.join('mail', 'inbox.jsonl'))) inboxFiles.push(file);
    },
    (dir) => path.basename(dir) === '.git' || dir === polecatsDir || dir === path.dirname(refinery),
  );
  for (const file of lockFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const pid = parses(text) ? (JSON.parse(text) as { pid?: number }).pid : undefined;
    locks.push({ file: path.relative(root, file), holderAlive: typeof pid === 'number' && pidAlive(pid) });
  }
  await walk(
    path.join(root, '.gt', 'store'),
    (file) => {
      if (file.endsWith('.json') && !path.basename(file).startsWith('.')) storeFiles.push({ file: path.relative(root, file), parses: true });
    },
    () => false,
  );
  for (const s of storeFiles) s.parses = parses(await readFile(path.join(root, s.file), 'utf8').catch(() => ''));
  const inboxes: Facts['inboxes'] = [];
  for (const file of inboxFiles) {
    inboxes.push({ file: path.relative(root, file), lines: (await readFile(file, 'utf8')).split('\n'), quarantined: await readFile(`${file}.torn`, 'utf8').catch(() => '') });
  }
  const issues: Facts['issues'] = [];
  for (const line of (await readFile(path.join(root, RIG, '.beads', 'issues.jsonl'), 'utf8').catch(() => '')).split('\n')) {
    if (!parses(line)) continue;
    const i = JSON.parse(line) as { id: string; status: string; issue_type?: string; external_ref?: string; close_reason?: string };
    issues.push({ id: i.id, status: i.status, type: i.issue_type ?? 'task', ...(i.external_ref ? { externalRef: i.external_ref } : {}), ...(i.close_reason ? { closeReason: i.close_reason } : {}) });
  }
  const pushes = (await readFile(path.join(town.bare, 'pushes.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ sha: l.split(' ')[0]!, exit: Number(l.split(' ')[1]) }));
  const records = await workerRecords(root);
  const mentioned = extra.doctor + extra.status;
  const reportedClones = clones.map((c) => c.path).filter((p) => records.some((r) => r.parses && path.join(polecatsDir, r.name) === p) || mentioned.includes(path.relative(root, p)));
  return {
    agentCommits: ledger.commits,
    remoteCommits: gitLines(['rev-list', '--all'], town.bare),
    clones,
    reportedClones,
    issues,
    mainSubjects: gitLines(['log', '--first-parent', '--format=%s', 'main'], town.bare),
    mainCommits: gitLines(['rev-list', 'main'], town.bare),
    doubleClaims: extra.doubleClaims,
    workerRecords: records,
    sessions: town.sessions(),
    polecatSession: (p) => sessionName(RIG, p),
    roleSessions: ['gt-mayor'],
    cloneDirs,
    locks,
    pushes,
    storeFiles,
    inboxes,
    mailSent: memory.mailSent.map((m) => ({ inboxFile: path.join('mayor', 'mail', 'inbox.jsonl'), id: m.id })),
    inboxFragments: memory.inboxFragments.map((t) => ({ inboxFile: path.join('mayor', 'mail', 'inbox.jsonl'), text: t.text })),
    eventLines: (await readFile(path.join(root, '.gt', 'events.jsonl'), 'utf8').catch(() => '')).split('\n'),
    eventFragments: memory.eventFragments,
    diff: extra.diff,
    doctorFindings: findingsIn(extra.doctor),
    personFindings: PERSON_FINDINGS,
  };
}
