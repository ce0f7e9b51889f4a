import { fail, type Diagnostic } from '../errors.js';
import { issueFromRecord, recordKind, type Issue, type RawRecord } from './record.js';

/**
 * `.beads/issues.jsonl` as a list of lines. A line gt does not change is written back with its
 * exact bytes; a changed issue line is re-serialised from its raw record, in which unknown fields
 * keep their values and their place. Order is kept; new issues go at the end.
 */
export interface IssueLine {
  kind: 'issue';
  /** 1-based, as read; 0 for a line added in this session. */
  line: number;
  text: string;
  raw: RawRecord;
  issue: Issue;
}

export interface OtherLine {
  kind: 'other';
  line: number;
  text: string;
}

export interface BeadsFile {
  path: string;
  lines: (IssueLine | OtherLine)[];
  /** The line that defines each id (the last one, as bd import keeps the last). */
  byId: Map<string, IssueLine>;
  /** Issue ids and tombstone ids: a tombstone's id stays taken, bd refuses to reuse it. */
  takenIds: Set<string>;
  typeTag: boolean;
}

export function parseBeadsFile(text: string, path: string): BeadsFile {
  const file: BeadsFile = { path, lines: [], byId: new Map(), takenIds: new Set(), typeTag: true };
  const problems: Diagnostic[] = [];
  let issuesSeen = 0;
  let tagged = 0;
  const texts = text.split('\n');
  if (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
  for (const [i, lineText] of texts.entries()) {
    const line = i + 1;
    const source = i === 0 ? lineText.replace(/^\uFEFF/, '') : lineText;
    if (!/\S/.test(source)) {
      file.lines.push({ kind: 'other', line, text: lineText });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(source);
    } catch (err) {
      problems.push({ file: path, line, message: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ file: path, line, message: 'not a JSON object' });
      continue;
    }
    const record = raw as RawRecord;
    const kind = recordKind(record);
    if (kind !== 'issue') {
      if (kind === 'tombstone' && typeof record.id === 'string') file.takenIds.add(record.id);
      file.lines.push({ kind: 'other', line, text: lineText });
      continue;
    }
    if (typeof record.id !== 'string' || record.id === '') {
      problems.push({ file: path, line, message: 'issue record has no "id"' });
      continue;
    }
    issuesSeen++;
    if (record._type === 'issue') tagged++;
    const entry: IssueLine = { kind: 'issue', line, text: lineText, raw: record, issue: issueFromRecord(record) };
    file.lines.push(entry);
    file.byId.set(record.id, entry);
    file.takenIds.add(record.id);
  }
  if (problems.length > 0) fail({ kind: 'invalidInput', diagnostics: problems });
  // An empty file gets bd's current format; an existing one keeps the convention it has.
  file.typeTag = issuesSeen === 0 || tagged > 0;
  return file;
}

/**
 * Whether a line holds an integer a double cannot carry exactly, which a rewrite would change.
 * Asked only when a line is about to be rewritten: scanning every line on each read would cost
 * a tenth of the parse.
 */
function hasUnsafeInteger(source: string): boolean {
  if (!/\d{16}/.test(source)) return false;
  let unsafe = false;
  JSON.parse(source, (_key, value: unknown) => {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) unsafe = true;
    return value;
  });
  return unsafe;
}

/** The issues in file order, each id once. */
export function fileIssues(file: BeadsFile): Issue[] {
  const out: Issue[] = [];
  for (const l of file.lines) if (l.kind === 'issue' && file.byId.get(l.issue.id) === l) out.push(l.issue);
  return out;
}

export function renderBeadsFile(file: BeadsFile): string {
  if (file.lines.length === 0) return '';
  return file.lines.map((l) => l.text).join('\n') + '\n';
}

export function appendIssue(file: BeadsFile, raw: RawRecord): IssueLine {
  const entry: IssueLine = { kind: 'issue', line: 0, text: JSON.stringify(raw), raw, issue: issueFromRecord(raw) };
  file.lines.push(entry);
  file.byId.set(entry.issue.id, entry);
  file.takenIds.add(entry.issue.id);
  return entry;
}

/**
 * Sets (or, for `undefined`, removes) fields of an issue's raw record. Existing keys keep their
 * position, so the rewritten line differs from the old one only where the values changed.
 */
export function updateRecord(file: BeadsFile, entry: IssueLine, fields: Record<string, unknown>): Issue {
  if (entry.line > 0 && hasUnsafeInteger(entry.text)) {
    fail({
      kind: 'conflict',
      message: `${file.path}:${entry.line}: issue ${entry.issue.id} holds an integer too large to rewrite exactly; change it with bd instead`,
    });
  }
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete entry.raw[key];
    else entry.raw[key] = value;
  }
  entry.text = JSON.stringify(entry.raw);
  entry.issue = issueFromRecord(entry.raw);
  return entry.issue;
}
