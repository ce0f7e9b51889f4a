import type { LockHolder } from '../errors.js';
import type { ObjectKey } from '../model/objects.js';
import { tmuxCommandLine } from '../runtime/tmux.js';
import { stalledFix } from './stalled-fixes.js';

/**
 * What `gt doctor` finds that the controllers cannot fix by themselves: one closed union, one
 * variant per code. The codes are part of gt's interface (scripts match on them): a code is never
 * renamed or reused for something else once shipped; a new kind of fault gets a new code.
 *
 * - GT-ORPHAN-SESSION       a live session on the town's socket that no stored object explains
 * - GT-ZOMBIE-SESSION       a session whose agent exited and that nothing will restart or collect
 * - GT-CLONE-REMOTE         a clone whose origin is not the rig's gitUrl
 * - GT-CLONE-BRANCH         a polecat's clone not on the branch its worker record names
 * - GT-DIRTY-FINISHED-CLONE a polecat clone no worker owns any more that holds unsaved work
 * - GT-STALE-LOCK           a lock file whose holder's pid is dead on this host
 * - GT-BEADS-PARSE          a rig's .beads/issues.jsonl that does not parse
 * - GT-MAIL-TORN            an inbox line that is not JSON (a write cut short)
 * - GT-TMUX-SERVER-MISSING  sessions are expected but the town's tmux server is not running
 * - GT-STALLED              an object that waits on a person: a finding of its controller's plan, or a terminal error
 * - GT-ACTION-FAILED        an object whose last reconcile failed (an action, or observing it), with the error
 * - GT-BREAKER-OPEN         a rig whose circuit breaker stopped dispatch
 * - GT-ISSUE-BLOCKED        an issue blocked because the merge queue rejected it mergeQueue.maxAttempts times
 * - GT-BEADS-BD-MISSING     a rig whose .beads holds a bd database while bd is not on PATH
 * - GT-AGENT-COMMAND-MISSING an agent command that cannot be started (not on the session's PATH, or not executable)
 * - GT-AGENT-CONDITION     an agent's screen shows it cannot work (offline, no login, a dialog, refusing root)
 * - GT-CLONE-FAILING        a polecat's clone keeps failing (the rig's remote unreachable): dispatch backs off
 * - GT-BEADS-REPO-UNUSED    a rig's repository carries its own beads while the rig, saying nothing of beads.location, uses the town's
 * - GT-DISK-LOW             the town's file system is (nearly) full: gt's writes fail with ENOSPC and are retried
 */
export type HealthFinding =
  | { code: 'GT-ORPHAN-SESSION'; session: string; socket: string; why: string }
  | { code: 'GT-ZOMBIE-SESSION'; session: string; socket: string; why: string; exit: string; clone?: string; unsafe?: string }
  | { code: 'GT-CLONE-REMOTE'; clone: string; actual: string | undefined; expected: string }
  | { code: 'GT-CLONE-BRANCH'; clone: string; polecat: string; actual: string | undefined; expected: string }
  | { code: 'GT-DIRTY-FINISHED-CLONE'; clone: string; holds: string }
  | { code: 'GT-STALE-LOCK'; file: string; holder: LockHolder }
  | { code: 'GT-BEADS-PARSE'; file: string; line: number | undefined; problem: string; others: number }
  | { code: 'GT-MAIL-TORN'; file: string; lines: number[] }
  /** `resume`: the command that brings the sessions back when gt stop (--now) is why they are gone. */
  | { code: 'GT-TMUX-SERVER-MISSING'; socket: string; expected: string[]; resume?: string }
  | { code: 'GT-STALLED'; object: ObjectKey; reason: string; message: string; since?: string }
  | { code: 'GT-ACTION-FAILED'; object: ObjectKey; controller: string; error: string; nextAttemptAt?: string }
  | { code: 'GT-BREAKER-OPEN'; rig: string; reason: string; openedAt: string }
  | { code: 'GT-ISSUE-BLOCKED'; rig: string; issueId: string; rejections: number; reason: string; blockedAt: string }
  | { code: 'GT-BEADS-BD-MISSING'; rig: string; database: string }
  | { code: 'GT-AGENT-COMMAND-MISSING'; object: ObjectKey; message: string }
  | { code: 'GT-CLONE-FAILING'; object: ObjectKey; message: string }
  | { code: 'GT-AGENT-CONDITION'; object: ObjectKey; condition: string; message: string; fix: string }
  | { code: 'GT-BEADS-REPO-UNUSED'; rig: string; found: string }
  | { code: 'GT-DISK-LOW'; root: string; freeBytes: number; totalBytes: number };

export type FindingCode = HealthFinding['code'];
export type Severity = 'error' | 'warning';

/** A finding as people and programs see it (`gt doctor -o json` prints exactly these fields). */
export interface FindingView {
  code: FindingCode;
  severity: Severity;
  /** What it is about: a session name, a town-relative path, an object key or a rig. */
  subject: string;
  /** One line: what is wrong. */
  message: string;
  /** One line: what to do about it. */
  fix: string;
  /** `gt doctor --fix` repairs it (itself, or by the reconcile pass it runs first). */
  fixable: boolean;
}

export function viewOf(f: HealthFinding): FindingView {
  switch (f.code) {
    case 'GT-ORPHAN-SESSION':
      return {
        code: f.code,
        severity: 'warning',
        subject: f.session,
        message: `tmux session ${f.session} is running on the town's socket and no stored object explains it (${f.why})`,
        fix: `see what it is (${tmuxCommandLine(f.socket)} attach -t =${f.session}); end it with ${tmuxCommandLine(f.socket)} kill-session -t =${f.session} once nothing in it is needed`,
        fixable: false,
      };
    case 'GT-ZOMBIE-SESSION':
      return {
        code: f.code,
        severity: 'warning',
        subject: f.session,
        message: `the agent in tmux session ${f.session} exited (${f.exit}) and nothing will restart or collect the session: ${f.why}`,
        fix: f.unsafe
          ? `its clone ${f.clone} ${f.unsafe}: save that work (commit and push), then run gt doctor --fix to end the session`
          : `gt doctor --fix ends the session (read its last output first if you need it: ${tmuxCommandLine(f.socket)} capture-pane -p -t =${f.session}:)`,
        fixable: !f.unsafe,
      };
    case 'GT-CLONE-REMOTE':
      return {
        code: f.code,
        severity: 'error',
        subject: f.clone,
        message: `${f.clone} has origin ${f.actual ?? '(none)'} but its rig's gitUrl is ${f.expected}; gt will not rewrite a clone's remote`,
        fix: `if it is the same project: git -C ${f.clone} remote set-url origin ${f.expected}; otherwise move the clone away and let gt clone it again`,
        fixable: false,
      };
    case 'GT-CLONE-BRANCH':
      return {
        code: f.code,
        severity: 'error',
        subject: f.clone,
        message: `${f.clone} is on ${f.actual === undefined ? 'a detached HEAD' : `branch ${f.actual}`}, but polecat ${f.polecat} works on ${f.expected}: its work is verified and merged from that branch only`,
        fix: `commit or stash what is there, then git -C ${f.clone} checkout ${f.expected} (bring over any commits that belong to the issue)`,
        fixable: false,
      };
    case 'GT-DIRTY-FINISHED-CLONE':
      return {
        code: f.code,
        severity: 'warning',
        subject: f.clone,
        message: `${f.clone} belongs to no worker any more and ${f.holds}; gt keeps it and will never delete it`,
        fix: `look at the work in ${f.clone}: push what is worth keeping, then remove the directory by hand`,
        fixable: false,
      };
    case 'GT-STALE-LOCK':
      return {
        code: f.code,
        severity: 'warning',
        subject: f.file,
        message: `${f.file} is held by pid ${f.holder.pid} on ${f.holder.host} (${f.holder.command}, since ${f.holder.startedAt}), which is no longer running`,
        fix: 'gt doctor --fix removes it (the next taker would also take it over)',
        fixable: true,
      };
    case 'GT-BEADS-PARSE':
      return {
        code: f.code,
        severity: 'error',
        subject: f.file,
        message: `${f.file}${f.line === undefined ? '' : `:${f.line}`}: ${f.problem}${f.others ? ` (and ${f.others} more problem${f.others === 1 ? '' : 's'})` : ''}; the rig's issues cannot be read, so nothing is dispatched or merged there`,
        fix: `repair that line by hand (or restore the file from a backup or bd export); gt never rewrites a file it cannot read`,
        fixable: false,
      };
    case 'GT-MAIL-TORN':
      return {
        code: f.code,
        severity: 'warning',
        subject: f.file,
        message: `${f.file}: line${f.lines.length === 1 ? '' : 's'} ${f.lines.join(', ')} ${f.lines.length === 1 ? 'is' : 'are'} not JSON (a write cut short); gt mail skips ${f.lines.length === 1 ? 'it' : 'them'}`,
        fix: `gt doctor --fix moves torn lines to ${f.file}.torn (nothing is dropped)`,
        fixable: true,
      };
    case 'GT-TMUX-SERVER-MISSING':
      return {
        code: f.code,
        severity: 'error',
        subject: f.socket,
        message: `no tmux server runs on the town's socket ${f.socket}, but ${f.expected.length} session${f.expected.length === 1 ? ' is' : 's are'} expected (${f.expected.join(', ')})`,
        fix: f.resume
          ? `${f.resume}: gt stop ended them and nothing starts them while stopped; halted polecats resume their issue at once`
          : `gt doctor --fix (or gt run) starts the sessions again; if tmux cannot start, try ${tmuxCommandLine(f.socket)} new-session -d by hand`,
        fixable: !f.resume,
      };
    case 'GT-STALLED':
      return {
        code: f.code,
        severity: 'error',
        subject: f.object,
        message: `${f.object} ${f.since ? `is Stalled since ${f.since}` : 'waits on you'}: ${f.reason}${f.message ? `: ${f.message}` : ''}`,
        fix: stalledFix(f.reason, f.object),
        fixable: false,
      };
    case 'GT-ACTION-FAILED':
      return {
        code: f.code,
        severity: 'error',
        subject: f.object,
        message: `${f.object}${f.controller ? ` [${f.controller}]` : ''}: the last attempt failed: ${f.error}${f.nextAttemptAt ? `; gt run tries again at ${f.nextAttemptAt}` : ''}`,
        fix: `fix the cause the error names${/\b(clone|fetch|push|merge)\b/.test(f.error) ? " (is the Rig's gitUrl a repository gt can reach? correct it in the manifest and gt apply)" : ''}; gt run retries it with backoff, gt doctor --fix tries once now`,
        fixable: false,
      };
    case 'GT-BREAKER-OPEN':
      return {
        code: f.code,
        severity: 'error',
        subject: `Rig/${f.rig}`,
        message: `rig ${f.rig}'s circuit breaker is open since ${f.openedAt}: ${f.reason}; no polecat is dispatched there`,
        fix: `find out why its sessions die (the agent command, gt status), fix the agent (Rig or Town) or run gt reset-breaker ${f.rig}`,
        fixable: false,
      };
    case 'GT-ISSUE-BLOCKED':
      return {
        code: f.code,
        severity: 'error',
        subject: `${f.rig}/${f.issueId}`,
        message: `issue ${f.issueId} of rig ${f.rig} is blocked since ${f.blockedAt}: the merge queue rejected its branch ${f.rejections} times (last: ${f.reason}); nobody works on it`,
        fix: `read why (gt issues show ${f.issueId} --rig ${f.rig}), fix the branch or the tests by hand, then gt issues retry ${f.issueId} --rig ${f.rig} (a fresh budget); or close it`,
        fixable: false,
      };
    case 'GT-BEADS-BD-MISSING':
      return {
        code: f.code,
        severity: 'error',
        subject: `Rig/${f.rig}`,
        message: `${f.rig}/.beads holds ${f.database}, which only bd reads, and bd is not on PATH: gt neither dispatches nor finishes work there, and writes nothing to its issues.jsonl (bd's export)`,
        fix: "install bd (https://github.com/steveyegge/beads) on gt's PATH, or set the Town's spec.beads.backend explicitly (jsonl makes the export gt's own tracker)",
        fixable: false,
      };
    case 'GT-AGENT-COMMAND-MISSING':
      return {
        code: f.code,
        severity: 'error',
        subject: f.object,
        message: f.message,
        fix: 'install the agent command so that it is on the PATH above (or make it executable), or set agent.command on the Town or Rig to one that is (gt apply); gt starts the sessions by itself once it can, nothing was counted as a crash',
        fixable: false,
      };
    case 'GT-AGENT-CONDITION':
      return { code: f.code, severity: 'error', subject: f.object, message: `${f.condition}: ${f.message}`, fix: f.fix, fixable: false };
    case 'GT-CLONE-FAILING':
      return {
        code: f.code,
        severity: 'error',
        subject: f.object,
        message: f.message,
        fix: "make the Rig's gitUrl reachable from this machine (try git ls-remote with it), or correct it in the manifest and gt apply; gt run tries again by itself at the time named (backing off up to every 5 minutes)",
        fixable: false,
      };
    case 'GT-DISK-LOW':
      return {
        code: f.code,
        severity: 'error',
        subject: f.root,
        message: `the file system holding ${f.root} has ${(f.freeBytes / 1024 / 1024).toFixed(1)} MB free of ${(f.totalBytes / 1024 / 1024).toFixed(0)} MB: gt's writes (locks, records, clones) fail with "no space left on device" and gt run retries them with backoff`,
        fix: 'free some space on that file system; gt run picks the work up again by itself',
        fixable: false,
      };
    case 'GT-BEADS-REPO-UNUSED':
      return {
        code: f.code,
        severity: 'warning',
        subject: `Rig/${f.rig}`,
        message: `rig ${f.rig}'s repository carries beads of its own (${f.found}), which gt does not read: it dispatches only the issues of the town's ${f.rig}/.beads`,
        fix: `to work on the repository's issues, set spec.beads.location: repository on Rig ${f.rig} and gt apply (gt's claims and closes then become commits pushed to its default branch; see the README on issues); to keep the town's tracker, set location: town, which silences this`,
        fixable: false,
      };
  }
}

/** Same finding, for telling what a fix resolved: code and subject identify it. */
export function sameFinding(a: FindingView, b: FindingView): boolean {
  return a.code === b.code && a.subject === b.subject;
}
