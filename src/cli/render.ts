import type { Change, FieldChange } from '../apply/changeset.js';
import type { KeyOutcome, KeyPlan } from '../engine/reconciler.js';
import { fail } from '../errors.js';
import { isClean, isInSync } from '../engine/reconciler.js';
import { describeHolder } from '../store/key-lock.js';

/** Human-readable lines. Every command prints actions through these, so diff, apply and run look alike. */
export function changeLines(changes: Change[]): string[] {
  return changes.flatMap((c) => {
    switch (c.op) {
      case 'create':
        return [`+ ${c.key}`];
      case 'unchanged':
        return [];
      case 'delete':
        return [`- ${c.key}`];
      case 'configure':
        return [`~ ${c.key}${c.cancelsDeletion ? ' (cancels its pending deletion)' : ''}`, ...c.fields.map((f) => `    ${fieldLine(f)}`)];
    }
  });
}

function fieldLine(f: FieldChange): string {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return `${f.path}: ${show(f.from)} -> ${show(f.to)}`;
}

/** A plan as `-o json` shows it (gt diff, gt doctor). */
export function planJson(p: KeyPlan) {
  return {
    key: p.key,
    controller: p.controller,
    generation: p.generation,
    deleting: p.deleting,
    actions: p.actions.map((a) => ({ op: a.text.op, text: a.text.text, action: a.action })),
    pending: p.pending,
    findings: p.findings,
    ...(p.error ? { error: p.error } : {}),
  };
}

export function planLines(plans: KeyPlan[]): string[] {
  const out: string[] = [];
  for (const p of plans) {
    if (isInSync(p) && !p.notes.length) continue;
    out.push(`${p.label}${p.deleting ? ' (being removed)' : ''}:`);
    if (p.error) out.push(`  ! ${p.error}`);
    for (const a of p.actions) out.push(`  ${a.text.op} ${a.text.text}`);
    for (const a of p.pending) out.push(`  ${a.op} ${a.text} (waiting)`);
    for (const f of p.findings) out.push(`  ! ${f.code}: ${f.message}`);
    for (const n of p.notes) out.push(`  = ${n}`);
  }
  return out;
}

export interface Summary {
  create: number;
  change: number;
  remove: number;
  waiting: number;
  errors: number;
}

export function summarize(changes: Change[], plans: KeyPlan[]): Summary {
  const s: Summary = { create: 0, change: 0, remove: 0, waiting: 0, errors: 0 };
  for (const c of changes) {
    if (c.op === 'create') s.create++;
    if (c.op === 'configure') s.change++;
    if (c.op === 'delete') s.remove++;
  }
  for (const p of plans) {
    for (const a of [...p.actions.map((x) => x.text), ...p.pending]) s[a.op === '+' ? 'create' : a.op === '~' ? 'change' : 'remove']++;
    s.waiting += p.findings.length;
    if (p.error) s.errors++;
  }
  return s;
}

export function summaryLine(s: Summary): string {
  if (!s.create && !s.change && !s.remove && !s.waiting && !s.errors) return 'In sync: nothing to do.';
  const parts = [`${s.create} to create`, `${s.change} to change`, `${s.remove} to remove`];
  if (s.waiting) parts.push(`${s.waiting} waiting on you`);
  if (s.errors) parts.push(`${s.errors} could not be observed`);
  return `Plan: ${parts.join(', ')}.`;
}

export function outcomeLines(outcomes: KeyOutcome[]): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    if (o.busy) {
      out.push(`${o.label}: left to the process reconciling it: ${describeHolder(o.busy)}`, ...o.done.map((d) => `  ${d.op} ${d.text}`));
      continue;
    }
    const lines = [...o.done.map((d) => `  ${d.op} ${d.text}`)];
    if (o.failed) lines.push(`  x ${o.failed.text.op} ${o.failed.text.text}: ${o.failed.error}`);
    for (const f of o.after?.findings ?? []) lines.push(`  ! ${f.code}: ${f.message}`);
    const state = o.failed ? 'failed' : o.after === undefined ? 'removed' : isClean(o.after) ? (o.after.notReady ? 'in progress' : 'ready') : o.after.findings.length ? 'waiting' : 'pending';
    if (!lines.length && (state === 'ready' || state === 'in progress')) continue;
    out.push(`${o.label}: ${state}`, ...lines);
  }
  return out;
}

/** The outcome lines, or a line saying there was nothing to do. */
export function passLines(outcomes: KeyOutcome[]): string[] {
  const lines = outcomeLines(outcomes);
  return lines.length ? lines : ['Everything already matches the spec.'];
}

/**
 * Exit 1 when reconciling what the command was about failed. `inScope` says which objects those
 * are (default: all); a failure elsewhere (another rig's clone) is said on stderr as a warning
 * and does not make a command that did its job fail.
 */
export function failOnErrors(outcomes: KeyOutcome[], inScope: (key: string) => boolean = () => true): void {
  const failed = outcomes.filter((x) => x.failed);
  for (const x of failed.filter((f) => !inScope(f.key))) process.stderr.write(`warning: ${x.label}: ${x.failed!.text.text}: ${x.failed!.error} (not part of this command; gt status shows it)\n`);
  const failures = failed.filter((x) => inScope(x.key)).map((x) => ({ key: x.label, message: `${x.failed!.text.text}: ${x.failed!.error}` }));
  if (failures.length) fail({ kind: 'reconcileFailed', failures });
}
