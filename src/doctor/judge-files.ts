import type { DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/** Below this, gt's own writes (locks, records, the events log) and every clone fail soon: ENOSPC. */
export const DISK_LOW_BYTES = 32 * 1024 * 1024;

/** A disk nearly full, stale locks, issue databases that do not parse or are not used, inboxes with torn lines. */
export function judgeFiles(f: DoctorFacts): HealthFinding[] {
  const out: HealthFinding[] = [];
  if (f.disk && f.disk.freeBytes < DISK_LOW_BYTES) out.push({ code: 'GT-DISK-LOW', root: f.disk.root, freeBytes: f.disk.freeBytes, totalBytes: f.disk.totalBytes });
  for (const l of f.locks) if (l.stale) out.push({ code: 'GT-STALE-LOCK', file: l.file, holder: l.holder });
  for (const b of f.beads) {
    const first = b.problems[0];
    if (first) out.push({ code: 'GT-BEADS-PARSE', file: b.file, line: first.line, problem: first.message, others: b.problems.length - 1 });
    if (b.bdMissing) out.push({ code: 'GT-BEADS-BD-MISSING', rig: b.file.split('/')[0]!, database: b.bdMissing });
  }
  for (const r of f.repoBeads) out.push({ code: 'GT-BEADS-REPO-UNUSED', rig: r.rig, found: r.found });
  for (const m of f.mail) if (m.torn.length) out.push({ code: 'GT-MAIL-TORN', file: m.file, lines: m.torn });
  return out;
}

/**
 * Splits a JSONL text into the lines to keep (exact bytes, blank ones too) and the numbers of
 * the lines that are not JSON. The same rule as Mailbox.list, which skips those lines.
 */
export function splitTorn(text: string): { kept: string[]; torn: { line: number; text: string }[] } {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const kept: string[] = [];
  const torn: { line: number; text: string }[] = [];
  lines.forEach((l, i) => {
    if (!l.trim() || parses(l)) kept.push(l);
    else torn.push({ line: i + 1, text: l });
  });
  return { kept, torn };
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}
