/**
 * Named points where a test can make this process die at once (SIGKILL, like a power cut or an
 * OOM kill): `GT_FAILPOINT=merge:after-push gt run`, or `GT_FAILPOINT=state:after-write@3` for
 * the third visit of that point. Unset, a failpoint does nothing. There is one after every step
 * that cannot be undone, so the crash-safety tests and the chaos suite (test/chaos) can kill gt
 * at each of them and check that the next pass finishes the work, once.
 *
 * The variable is read once, when this module loads, and removed from the environment: a tmux
 * server, an agent or a git hook started by the dying process must not inherit it and die too.
 */
export const FAILPOINTS = [
  // The engine, for every controller: the intent of an irreversible action is logged, nothing done yet.
  'engine:after-intent',
  // Rig: a clone (refinery, mayor) made; a clone deleted.
  'rig:after-clone',
  'rig:after-clone-delete',
  // Worker pool: the worker record (intent), the claim, the clone, the session, the verified
  // merge request, the stop of a session, the release of a worker and its clone.
  'workers:after-record',
  'workers:after-claim',
  'workers:after-clone',
  'workers:after-session-start',
  'workers:after-merge-request',
  'workers:after-session-stop',
  'workers:after-clone-delete',
  // Merge queue: merged locally, tested, pushed, the issue closed, the branch deleted.
  'merge:after-merge',
  'merge:after-test',
  'merge:after-push',
  'merge:after-close',
  'merge:after-branch-delete',
  // Swarm: the beads file written, an epic created, a task created.
  'swarm:after-write',
  'swarm:after-create-epic',
  'swarm:after-create-task',
  // Sessions: a long-running session started.
  'sessions:after-session-start',
  // Shared writers: a mail appended, a state file written (temp file synced, before and after its rename).
  'mail:after-write',
  'state:before-rename',
  'state:after-write',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

interface Armed {
  name: string;
  /** Die at this visit (1 = the first). */
  visit: number;
}

function parse(spec: string | undefined): Armed | undefined {
  if (!spec) return undefined;
  const m = /^(.*)@(\d+)$/.exec(spec);
  return m ? { name: m[1]!, visit: Math.max(1, Number(m[2])) } : { name: spec, visit: 1 };
}

const armed = parse(process.env.GT_FAILPOINT);
delete process.env.GT_FAILPOINT;
let visits = 0;

export function failpoint(name: FailpointName): void {
  if (armed?.name !== name) return;
  if (++visits >= armed.visit) process.kill(process.pid, 'SIGKILL');
}
