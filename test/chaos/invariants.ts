/**
 * The invariants the chaos suite checks after the faults stop and the loop converged, as a pure
 * function of facts gathered from the town (facts.ts), so each rule is unit-tested on small
 * hand-made situations (invariants.test.ts).
 */
export interface LedgerCommit {
  sha: string;
  issue: string;
  polecat: string;
  /** The agent's working directory: its clone. */
  clone: string;
}

export interface IssueFact {
  id: string;
  status: string;
  type: string;
  externalRef?: string;
  closeReason?: string;
}

export interface Facts {
  /** Every commit an agent made (its ledger). */
  agentCommits: LedgerCommit[];
  /** Every commit reachable from a ref of the remote. */
  remoteCommits: string[];
  /** Clones that exist now, each with every commit reachable in it (refs, HEAD, reflogs). */
  clones: { path: string; commits: string[] }[];
  /** Clones gt reports (a worker record names it, or gt doctor / gt status mention it). */
  reportedClones: string[];
  issues: IssueFact[];
  /** Subjects of main's first-parent history (the refinery's merges). */
  mainSubjects: string[];
  /** Every commit reachable from the remote's main. */
  mainCommits: string[];
  /** Polecats holding the same issue at one time, seen while the faults ran. */
  doubleClaims: string[];
  workerRecords: { name: string; issueId: string; state: string; file: string; parses: boolean }[];
  sessions: string[];
  /** The session name of a polecat. */
  polecatSession: (polecat: string) => string;
  /** Long-running sessions the stored objects declare (the Town's mayor). */
  roleSessions: string[];
  /** Directories under the rig's polecats/ (and other clones): whether each is a whole git clone. */
  cloneDirs: { path: string; whole: boolean }[];
  /** Lock files left after the loop stopped, with whether their holder lives. */
  locks: { file: string; holderAlive: boolean }[];
  /** Tests run by the remote on each commit pushed to main. */
  pushes: { sha: string; exit: number }[];
  storeFiles: { file: string; parses: boolean }[];
  /** Each inbox's lines, and the text of its quarantine (what gt set aside). */
  inboxes: { file: string; lines: string[]; quarantined: string }[];
  mailSent: { inboxFile: string; id: string }[];
  inboxFragments: { inboxFile: string; text: string }[];
  eventLines: string[];
  eventFragments: string[];
  /** `gt diff` exit code once converged (or the last one seen), and the passes it took. */
  diff: { code: number; passes: number; maxPasses: number };
  doctorFindings: { code: string; message: string }[];
  /** Finding codes that need a person (each explained in the README): allowed at the end. */
  personFindings: readonly string[];
}

export type Invariant = 'no lost work' | 'nothing twice' | 'no orphans' | 'main is green' | 'store and inboxes parse' | 'converged' | 'the harness';

export interface Violation {
  invariant: Invariant;
  message: string;
}

const parses = (line: string) => {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
};

export function checkInvariants(f: Facts): Violation[] {
  const out: Violation[] = [];
  const v = (invariant: Invariant, message: string) => out.push({ invariant, message });

  // No lost work.
  const remote = new Set(f.remoteCommits);
  for (const c of f.agentCommits) {
    if (remote.has(c.sha)) continue;
    const clone = f.clones.find((x) => x.path === c.clone);
    if (!clone) v('no lost work', `commit ${c.sha.slice(0, 8)} of ${c.polecat} on ${c.issue} is not on the remote and its clone ${c.clone} was deleted`);
    else if (!clone.commits.includes(c.sha)) v('no lost work', `commit ${c.sha.slice(0, 8)} of ${c.polecat} on ${c.issue} is neither on the remote nor in its clone ${c.clone}`);
    else if (!f.reportedClones.includes(c.clone)) v('no lost work', `commit ${c.sha.slice(0, 8)} of ${c.polecat} on ${c.issue} is only in clone ${c.clone}, which gt does not report`);
  }

  // Nothing twice.
  const byRef = new Map<string, string[]>();
  for (const i of f.issues) if (i.externalRef) byRef.set(i.externalRef, [...(byRef.get(i.externalRef) ?? []), i.id]);
  for (const [ref, ids] of byRef) if (ids.length > 1) v('nothing twice', `swarm task ${ref} has ${ids.length} issues: ${ids.join(', ')}`);
  const merges = new Map<string, number>();
  for (const s of f.mainSubjects) {
    const m = /^Merge (\S+): (\S+)/.exec(s);
    if (m) merges.set(m[2]!, (merges.get(m[2]!) ?? 0) + 1);
  }
  for (const [issue, n] of merges) if (n > 1) v('nothing twice', `${issue} was merged into main ${n} times`);
  const main = new Set(f.mainCommits);
  for (const i of f.issues) {
    if (i.status !== 'closed' || i.type === 'epic') continue;
    const sha = /merged into \S+ as ([0-9a-f]{7,40})/.exec(i.closeReason ?? '')?.[1];
    if (!sha) v('nothing twice', `${i.id} is closed without a merge (${i.closeReason ?? 'no reason'})`);
    else if (!main.has(sha) && ![...main].some((c) => c.startsWith(sha))) v('nothing twice', `${i.id} is closed as merged in ${sha.slice(0, 8)}, which is not on main`);
    else if (!merges.has(i.id)) v('nothing twice', `${i.id} is closed but main has no merge of it`);
  }
  for (const d of f.doubleClaims) v('nothing twice', d);
  const holders = new Map<string, string[]>();
  for (const r of f.workerRecords) if (r.parses) holders.set(r.issueId, [...(holders.get(r.issueId) ?? []), r.name]);
  for (const [issue, names] of holders) if (names.length > 1) v('nothing twice', `polecats ${names.join(' and ')} both hold ${issue}`);

  // No orphans.
  const explained = new Set([...f.roleSessions, ...f.workerRecords.filter((r) => r.parses).map((r) => f.polecatSession(r.name))]);
  for (const s of f.sessions) if (!explained.has(s)) v('no orphans', `tmux session ${s} is explained by no stored object`);
  const live = new Set(f.sessions);
  for (const r of f.workerRecords) {
    if (!r.parses) v('no orphans', `worker record ${r.file} does not parse`);
    else if (!live.has(f.polecatSession(r.name)) && !['stalled', 'crashLooping'].includes(r.state))
      v('no orphans', `polecat ${r.name} (${r.state}) has a record but no session and no reported reason`);
  }
  for (const d of f.cloneDirs) if (!d.whole) v('no orphans', `partial clone left: ${d.path}`);
  for (const l of f.locks) if (!l.holderAlive) v('no orphans', `stale lock left: ${l.file}`);

  // Main is green.
  for (const p of f.pushes) if (p.exit !== 0) v('main is green', `main at ${p.sha.slice(0, 8)} (pushed by the refinery) fails its tests (exit ${p.exit})`);

  // The store and inboxes parse; nothing dropped.
  for (const s of f.storeFiles) if (!s.parses) v('store and inboxes parse', `store object ${s.file} does not parse`);
  // A torn line alone on its line is reported (GT-MAIL-TORN) until something quarantines it; one
  // with a message glued to it has lost that message.
  const inboxFragments = new Set(f.inboxFragments.map((t) => t.text));
  for (const box of f.inboxes) {
    for (const [i, line] of box.lines.entries())
      if (line.trim() && !parses(line) && !inboxFragments.has(line)) v('store and inboxes parse', `${box.file}:${i + 1} does not parse and is not a torn line alone: ${line.slice(0, 80)}`);
  }
  for (const m of f.mailSent) {
    const box = f.inboxes.find((b) => b.file === m.inboxFile);
    if (!box?.lines.some((l) => parses(l) && (JSON.parse(l) as { id?: string }).id === m.id)) v('store and inboxes parse', `message ${m.id} sent to ${m.inboxFile} is gone`);
  }
  for (const t of f.inboxFragments) {
    const box = f.inboxes.find((b) => b.file === t.inboxFile);
    if (!box?.quarantined.includes(t.text) && !box?.lines.some((l) => l.includes(t.text)))
      v('store and inboxes parse', `the torn line ${JSON.stringify(t.text.slice(0, 30))} of ${t.inboxFile} was dropped, not quarantined`);
  }
  const fragments = new Set(f.eventFragments);
  for (const [i, line] of f.eventLines.entries()) {
    if (line.trim() && !parses(line) && !fragments.has(line))
      v('store and inboxes parse', `events.jsonl:${i + 1} does not parse and is not a torn line alone (an event was lost): ${line.slice(0, 80)}`);
  }

  // Converged.
  if (f.diff.code !== 0) v('converged', `gt diff still exits ${f.diff.code} after ${f.diff.passes} passes`);
  else if (f.diff.passes > f.diff.maxPasses) v('converged', `gt diff exited 0 only after ${f.diff.passes} passes (bound ${f.diff.maxPasses})`);
  for (const d of f.doctorFindings) if (!f.personFindings.includes(d.code)) v('converged', `gt doctor: ${d.code}: ${d.message}`);
  return out;
}
