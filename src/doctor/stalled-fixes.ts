/**
 * What a person does about each reason an object waits (a controller's finding code, or a
 * terminal error), as `gt doctor` says it. Every controller finding has its own line here or the
 * general one; the finding's message names the object, the path or the issue.
 */
const FIXES: Record<string, string> = {
  TerminalError: 'correct the spec the error names and gt apply it; gt does not retry a terminal error until the spec changes',
  BreakerOpen: 'find out why its sessions die (gt status, the agent command), fix the agent (Rig or Town) or run gt reset-breaker RIG',
  BeadsPrefixMismatch: "set the Rig's beads.prefix to the prefix its issues use and gt apply, or change .beads/config.yaml by hand",
  CloneNotARepository: "move that directory away; gt clones the rig's gitUrl there on its next pass",
  CloneRemoteMismatch: 'if it is the same project: git -C CLONE remote set-url origin GITURL; otherwise move the clone away and gt clones it again',
  RemovalBlockedByWorkers:
    'wait for the polecats to finish (gt status shows them); one that cannot (its agent shows a condition, or is stuck) is released by closing its issue: gt issues close ID --rig RIG',
  RemovalBlockedByWork: 'save the work in that clone (commit and push, or copy it away) and remove the clone by hand; the rig is removed on the next pass',
  SessionCrashLooping:
    "read the session's last output (TMUX capture-pane -p -t =SESSION:, where TMUX is the command gt status prints), fix its agent command, then gt apply a changed spec (or gt stop and gt start)",
  WorkerStalled: "read the escalation (gt mail inbox overseer) and the polecat's pane; help it along in its session, or close its issue (gt issues close ID) to free the slot",
  WorkerCrashLooping:
    "read the escalation (gt mail inbox overseer) and the polecat's last output; fix the agent (agent.command on the Rig or Town, gt apply) or run gt reset-breaker RIG: either releases its issue back to ready; or close the issue (gt issues close ID)",
  PluginUnresponsive:
    "see whether the plugin's session runs (gt status) and answers its mail (it replies with gt mail send ADDRESS --type reply --reply-to ID -m proceed|escalate); until it does, gt takes its defaultVerdict after each timeout",
  OrphanSessionWithWork: 'save the work in its clone (commit and push), then end the session (TMUX kill-session -t =SESSION, where TMUX is the command gt status prints)',
  RigMissing: "apply the Rig the Swarm names (gt apply -f), or change the Swarm's rig",
  RigBeingRemoved: 'nothing to do: the Swarm waits while its rig is removed; delete the Swarm too if it is no longer wanted (gt delete swarm NAME)',
  DuplicateSwarmIssue: 'close the extra issue by hand (gt issues close ID); gt keeps the one it names',
  RemovedTaskHasWork: 'finish or close the issue by hand (gt issues close ID); gt never closes work someone did',
  DependencyCycle: 'remove the old dependency the message names (bd dep remove A B); gt then adds the new one',
  StaleTaskDependency: 'remove the dependency the message names by hand (bd dep remove A B)',
};

/** The fix for `reason`, with RIG named when the object is a Rig (`gt reset-breaker wyvern`, not `RIG`). */
export function stalledFix(reason: string, object?: string): string {
  const fix = FIXES[reason] ?? 'do what the message says (gt status shows the object); gt sees the change on its next pass';
  const rig = object?.startsWith('Rig/') ? object.slice('Rig/'.length) : undefined;
  return rig ? fix.replace(/\bRIG\b/g, rig) : fix;
}
