import { fail } from '../errors.js';
import type { Issue } from './record.js';
import type { CreateIssueInput, IssueFilter, IssuePatch } from './tracker.js';

// The checks both backends make before touching anything, so that they refuse the same inputs
// with the same words, and the filter both apply to what they read.

export function checkTitle(title: string): void {
  if (title.trim() === '') fail({ kind: 'usage', message: 'an issue needs a title' });
  // bd's own limit (types.Issue.Validate, counted in UTF-8 bytes); past it bd import rejects the file.
  const bytes = Buffer.byteLength(title);
  if (bytes > 500) fail({ kind: 'usage', message: `an issue title is at most 500 bytes of UTF-8 (this one has ${bytes})` });
}

export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 0 || priority > 4) {
    fail({ kind: 'usage', message: `priority must be an integer from 0 (critical) to 4 (backlog), not ${priority}` });
  }
}

export function checkLabels(labels: readonly string[]): void {
  for (const label of labels) {
    // bd reads label flags as comma-separated lists, so a comma would split one label in two.
    if (label.trim() === '' || label.includes(',')) fail({ kind: 'usage', message: `label ${JSON.stringify(label)} must be non-empty and without commas` });
  }
}

export function checkDependencyType(type: string): void {
  if (type === '' || type.length > 50) fail({ kind: 'usage', message: `dependency type ${JSON.stringify(type)} must be 1 to 50 characters` });
}

export function checkCreate(input: CreateIssueInput): void {
  checkTitle(input.title);
  if (input.priority !== undefined) checkPriority(input.priority);
  if (input.type !== undefined && input.type.trim() === '') fail({ kind: 'usage', message: 'issue type must not be empty' });
  checkLabels(input.labels ?? []);
}

export function checkPatch(patch: IssuePatch): void {
  if (patch.title !== undefined) checkTitle(patch.title);
  if (patch.priority !== undefined) checkPriority(patch.priority);
  if (patch.labels !== undefined) checkLabels(patch.labels);
  if (patch.status !== undefined && (patch.status === '' || patch.status === 'tombstone')) {
    fail({ kind: 'usage', message: `status ${JSON.stringify(patch.status)} cannot be set; delete issues with bd` });
  }
  if (patch.assignee === '') fail({ kind: 'usage', message: 'use assignee: null to remove the assignee' });
}

/**
 * Whether `assignee` may claim `issue`: true when they already hold it (nothing to do), false
 * when they may take it now; a refusal otherwise. `whyNotReady` is asked last, as it is the
 * costly question for the bd backend.
 */
export async function checkClaim(id: string, issue: Issue | undefined, assignee: string, whyNotReady: () => Promise<string | undefined>): Promise<boolean> {
  if (assignee.trim() === '') fail({ kind: 'usage', message: 'claim needs an assignee' });
  if (!issue) return fail({ kind: 'notFound', message: `issue ${id} not found` });
  if (issue.assignee !== undefined && issue.assignee !== assignee) {
    fail({ kind: 'conflict', message: `cannot claim ${id}: already claimed by ${issue.assignee} (status ${issue.status})` });
  }
  if (issue.status === 'in_progress' && issue.assignee === assignee) return true;
  const why = await whyNotReady();
  if (why !== undefined) fail({ kind: 'conflict', message: `cannot claim ${id}: ${why}` });
  return false;
}

export function matchesFilter(issue: Issue, filter: IssueFilter): boolean {
  if (filter.status !== undefined) {
    const wanted = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (!wanted.includes(issue.status)) return false;
  }
  if (filter.type !== undefined && issue.issue_type !== filter.type) return false;
  if (filter.assignee !== undefined && issue.assignee !== filter.assignee) return false;
  if (filter.label !== undefined && !(issue.labels ?? []).includes(filter.label)) return false;
  if (filter.parent !== undefined && !issue.dependencies.some((d) => d.type === 'parent-child' && d.depends_on_id === filter.parent)) return false;
  return true;
}
