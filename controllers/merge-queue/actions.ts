import type { ActionText } from '../../src/engine/controller.js';
import type { Strategy } from './merge.js';

/** Everything the merge queue (refinery) can do for one rig. */
export type RefineryAction =
  | {
      type: 'merge';
      issueId: string;
      title: string;
      branch: string;
      head: string;
      strategy: Strategy;
      target: string;
      testCommand: string[];
      testTimeoutMs: number;
      skipTests: boolean;
      /** This is rejection-budget attempt `attempt` of `maxAttempts`: the last one's rejection blocks the issue. */
      attempt: number;
      maxAttempts: number;
    }
  /** A merge recorded as pushed: close the issue, delete the branch, forget the request. */
  | { type: 'finishMerge'; issueId: string; branch: string; head: string; commit: string; target: string }
  /** A merge interrupted before it was known to be pushed: the truth is read from git. */
  | { type: 'recoverMerge'; issueId: string; phase: string }
  | { type: 'dropRequest'; issueId: string; why: string }
  | { type: 'askPlugin'; issueId: string; plugin: string; address: string }
  | { type: 'holdRequest'; issueId: string; head: string; why: string }
  /** The merge budget is spent: the issue set blocked with the last failure, the Overseer told once. */
  | { type: 'blockIssue'; issueId: string; rejections: number; reason: string }
  /** The issue was reopened or closed: its rejection count is forgotten (a fresh budget). */
  | { type: 'forgetAttempts'; issueId: string; why: string };

export function describeRefineryAction(a: RefineryAction): ActionText {
  switch (a.type) {
    case 'merge':
      return {
        op: '~',
        text: `merge ${a.issueId} (${a.branch} at ${a.head.slice(0, 8)}) into ${a.target} by ${a.strategy}${a.skipTests || !a.testCommand.length ? ', no tests' : `, then test: ${a.testCommand.join(' ')}`}${a.attempt > 1 ? ` (attempt ${a.attempt} of ${a.maxAttempts})` : ''}`,
      };
    case 'finishMerge':
      return { op: '~', text: `finish merge of ${a.issueId}: close it, delete ${a.branch}` };
    case 'recoverMerge':
      return { op: '~', text: `recover the merge of ${a.issueId} interrupted while ${a.phase} (finish it if pushed, else undo and retry)` };
    case 'dropRequest':
      return { op: '-', text: `merge request for ${a.issueId} (${a.why})` };
    case 'askPlugin':
      return { op: '~', text: `ask plugin ${a.plugin} before merging ${a.issueId} (beforeMerge)` };
    case 'holdRequest':
      return { op: '~', text: `hold ${a.issueId}: ${a.why}` };
    case 'blockIssue':
      return { op: '~', text: `block ${a.issueId}: ${a.rejections} merge attempts rejected (last: ${a.reason}); escalate to the Overseer` };
    case 'forgetAttempts':
      return { op: '~', text: `fresh merge budget for ${a.issueId} (${a.why})` };
  }
}

export function refineryActionIsIrreversible(a: RefineryAction): boolean {
  return a.type === 'merge' || a.type === 'finishMerge' || a.type === 'recoverMerge';
}
