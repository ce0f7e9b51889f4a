// Which sessions and directories are a polecat's: the worker pool, the rig (removal), gt doctor and
// gt status all decide it by these rules.

/** A polecat's tmux session name. */
export function sessionName(rig: string, polecat: string): string {
  return `gt-${rig}-${polecat}`;
}

/** What an agent's directory holds besides a clone: a polecat directory with only these is reusable. */
export const AGENT_FILES: ReadonlySet<string> = new Set(['mail', 'state.json', 'state.json.lock']);

/**
 * Whether a tmux session is one of `rig`'s polecats, and which: gt's metadata says so, or (for a
 * session made without metadata) its name `gt-RIG-NAME`. The one rule (gt doctor uses it too).
 */
export function poolSessionOf(s: { name: string; meta: Record<string, string> }, rig: string): { polecat: string | undefined } | undefined {
  const prefix = `gt-${rig}-`;
  const mine = (s.meta.rig === rig && (s.meta.role ?? 'polecat') === 'polecat') || (!s.meta.role && s.name.startsWith(prefix));
  if (!mine) return undefined;
  return { polecat: s.meta.polecat ?? (s.name.startsWith(prefix) ? s.name.slice(prefix.length) : undefined) };
}
