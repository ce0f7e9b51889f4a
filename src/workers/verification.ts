// Whether a polecat's finished work can be handed on: the worker pool decides by it, gt land checks it.

/** What verification needs, gathered only for workers that said they are done. */
export interface VerifyFacts {
  dirty: number;
  stashes: number;
  head: string | undefined;
  /** The branch's commit on the rig's remote, undefined when the remote has no such branch. */
  remoteHead: string | undefined;
  /** Commits on HEAD since the worker's base commit. */
  ahead: number;
  /** Commits on any local branch (or HEAD) that no remote-tracking ref holds. */
  unpushed: number;
}

/** Why finished work is not ready to hand on, or [] when it is. */
export function verificationProblems(v: VerifyFacts | undefined, branch: string): string[] {
  if (!v) return ['the clone is missing'];
  const p: string[] = [];
  if (v.dirty) p.push(`${v.dirty} uncommitted change${v.dirty === 1 ? '' : 's'}`);
  if (v.stashes) p.push(`${v.stashes} stash${v.stashes === 1 ? '' : 'es'}`);
  if (v.ahead < 1) p.push('no commit on the branch');
  if (!v.remoteHead) p.push(`branch ${branch} is not on the remote (git push origin HEAD:${branch})`);
  else if (v.remoteHead !== v.head) p.push(`the remote's ${branch} is not your HEAD (push again)`);
  return p;
}
