import type { SessionInfo } from '../runtime/tmux.js';
import type { Plugin, Rig } from '../model/objects.js';
import { unsafeToDelete } from '../policy/clone-safety.js';
import { poolSessionOf } from '../workers/polecat.js';
import type { WorkerRecord } from '../workers/records.js';
import type { CloneFact, DoctorFacts } from './facts.js';
import type { HealthFinding } from './findings.js';

/** Who a session says it is, from gt's tmux metadata (and, for polecats, the worker pool's naming rule). */
type Identity =
  | { kind: 'polecat'; rig: string; polecat: string | undefined }
  | { kind: 'role'; role: 'mayor' | 'witness' | 'refinery' | 'plugin'; rig: string | undefined; agent: string | undefined }
  | { kind: 'unknown'; why: string };

/** Why a session exists, or why nothing explains it. */
type Explanation =
  | { by: 'worker'; record: WorkerRecord }
  /** A polecat session of a stored rig without a worker: the worker pool's plan stops it or reports it. */
  | { by: 'pool' }
  | { by: 'role' }
  | { by: 'nothing'; why: string };

/** Polecat clone of a session, town-relative, when the session names one. */
export function polecatCloneOf(s: SessionInfo, rigs: readonly string[]): string | undefined {
  const id = identify(s, rigs);
  return id.kind === 'polecat' && id.polecat ? `${id.rig}/polecats/${id.polecat}` : undefined;
}

/** By the worker pool's own rule for its sessions (poolSessionOf), so both agree on whose a session is. */
function identify(s: SessionInfo, rigs: readonly string[]): Identity {
  const { role, rig } = s.meta;
  if (role === 'mayor' || role === 'witness' || role === 'refinery' || role === 'plugin') return { kind: 'role', role, rig, agent: s.meta.agent };
  const owner = [...(rig ? [rig] : []), ...rigs].find((r) => poolSessionOf(s, r));
  if (owner) return { kind: 'polecat', rig: owner, polecat: poolSessionOf(s, owner)!.polecat };
  if (role === 'polecat') return { kind: 'unknown', why: 'role polecat without a rig' };
  return { kind: 'unknown', why: role === undefined ? 'it has no gt metadata' : `unknown role "${role}"` };
}

function explain(id: Identity, f: DoctorFacts): Explanation {
  const town = f.world.town?.manifest;
  const rigOf = (name: string | undefined) => f.world.objects.find((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === name);
  switch (id.kind) {
    case 'polecat': {
      if (!rigOf(id.rig)) return { by: 'nothing', why: `a polecat of rig ${id.rig}, which is not in the store` };
      const record = (f.workers[id.rig] ?? []).find((r) => r.name === id.polecat);
      return record ? { by: 'worker', record } : { by: 'pool' };
    }
    case 'role': {
      if (id.role === 'mayor') return town?.spec.mayor.enabled ? { by: 'role' } : { by: 'nothing', why: 'role mayor, but the Town does not enable the mayor' };
      if (id.role === 'plugin') {
        const plugins = f.world.objects.filter((o) => o.manifest.kind === 'Plugin').map((o) => o.manifest as Plugin);
        // A plugin's mail address (RIG/plugins/NAME, or plugins/NAME town-wide) names it.
        const name = /(?:^|\/)plugins\/([^/]+)$/.exec(id.agent ?? '')?.[1];
        const match = plugins.some((p) => (name === undefined || p.metadata.name === name) && (p.spec.rig === undefined || p.spec.rig === id.rig));
        return match ? { by: 'role' } : { by: 'nothing', why: `role plugin${name ? ` ${name}` : ''}, but no stored Plugin matches it` };
      }
      const rig = rigOf(id.rig);
      if (!rig) return { by: 'nothing', why: `role ${id.role} of rig ${id.rig ?? '(none)'}, which is not in the store` };
      // Also while the rig is being removed or stopped: the session-cycle controller ends it then.
      return (rig.manifest as Rig).spec[id.role]?.enabled ? { by: 'role' } : { by: 'nothing', why: `role ${id.role}, but Rig ${id.rig} does not enable it` };
    }
    case 'unknown':
      return { by: 'nothing', why: id.why };
  }
}

function exitOf(s: SessionInfo): string {
  if (s.exitSignal !== undefined) return `killed by signal ${s.exitSignal}`;
  return s.exitStatus !== undefined ? `status ${s.exitStatus}` : 'status unknown';
}

/**
 * Orphans and zombies, each session judged once: a dead session is a zombie when nothing will
 * restart it (a worker that is working, an enabled role) or collect it (the worker pool stops its
 * own orphans); a live one is an orphan when nothing explains it.
 */
export function judgeSessions(f: DoctorFacts): HealthFinding[] {
  const rigs = f.world.objects.filter((o) => o.manifest.kind === 'Rig').map((o) => o.manifest.metadata.name);
  const clones = new Map<string, CloneFact>(f.clones.map((c) => [c.path, c]));
  const out: HealthFinding[] = [];
  for (const s of f.sessions) {
    const id = identify(s, rigs);
    const e = explain(id, f);
    if (e.by === 'pool' || e.by === 'role') continue;
    if (!s.dead) {
      if (e.by === 'nothing') out.push({ code: 'GT-ORPHAN-SESSION', session: s.name, socket: f.socket, why: e.why });
      continue;
    }
    if (e.by === 'worker' && (e.record.state === 'working' || e.record.state === 'starting')) continue;
    const why = e.by === 'worker' ? `its worker ${e.record.name} is ${e.record.state} (escalated at ${e.record.escalatedAt ?? '?'}) and waits for a person` : `no stored object explains it (${e.why})`;
    const clonePath = polecatCloneOf(s, rigs);
    const clone = clonePath === undefined ? undefined : clones.get(clonePath);
    // An unseen clone counts as holding work: ending the session must never be what loses it.
    const unsafe = clonePath === undefined ? undefined : clone ? unsafeToDelete(clone.state) : 'was not inspected';
    out.push({ code: 'GT-ZOMBIE-SESSION', session: s.name, socket: f.socket, why, exit: exitOf(s), ...(clonePath ? { clone: clonePath } : {}), ...(unsafe ? { unsafe } : {}) });
  }
  return out;
}

/**
 * Sessions the stored objects expect to be running: worker records about to work or working
 * (a stop lets polecats finish), and the role sessions enabled and not stopped.
 */
export function expectedSessions(f: DoctorFacts): string[] {
  const town = f.world.town?.manifest;
  // `gt stop` sets spec.suspend on the Town, a Rig or a Plugin: their agent sessions end.
  const townStopped = !!town?.spec.suspend;
  // Sessions whose agent command cannot be started are not expected: AgentCommandMissing says why.
  const startable = (key: string) => !f.plans.some((p) => p.key === key && p.controller === 'sessions' && p.findings.some((x) => x.code === 'AgentCommandMissing'));
  const out: string[] = [];
  if (town?.spec.mayor.enabled && !townStopped && startable(`Town/${town.metadata.name}`)) out.push('mayor');
  const running = new Set<string>();
  for (const o of f.world.objects) {
    if (o.manifest.kind !== 'Rig') continue;
    const rig = o.manifest;
    const name = rig.metadata.name;
    for (const r of f.workers[name] ?? []) if (r.state === 'working' || r.state === 'starting') out.push(`${name}/polecats/${r.name}`);
    if (townStopped || rig.spec.suspend || o.deletionRequestedAt) continue;
    running.add(name);
    if (!startable(`Rig/${name}`)) continue;
    for (const role of ['witness', 'refinery'] as const) if (rig.spec[role].enabled) out.push(`${name}/${role}`);
  }
  for (const o of f.world.objects) {
    if (o.manifest.kind !== 'Plugin' || townStopped || o.deletionRequestedAt) continue;
    const p = o.manifest;
    if (p.spec.suspend || (p.spec.rig !== undefined && !running.has(p.spec.rig)) || !startable(`Plugin/${p.metadata.name}`)) continue;
    out.push(p.spec.rig ? `${p.spec.rig}/plugins/${p.metadata.name}` : `plugins/${p.metadata.name}`);
  }
  return out;
}

export function judgeTmuxServer(f: DoctorFacts): HealthFinding[] {
  const expected = expectedSessions(f);
  // A tmux server exits with its last session, so "no sessions" and "no server" are the same fact.
  if (f.sessions.length !== 0 || !expected.length) return [];
  const resume = resumeCommand(f, expected);
  return [{ code: 'GT-TMUX-SERVER-MISSING', socket: f.socket, expected, ...(resume ? { resume } : {}) }];
}

/**
 * When only gt stop explains why the expected sessions are gone (gt stop --now, or sessions that
 * ended while stopped), the command that brings them back: gt start, for the town or its rig.
 * The loop and gt doctor --fix keep a stopped town stopped, so they would not.
 */
function resumeCommand(f: DoctorFacts, expected: string[]): string | undefined {
  if (f.world.town?.manifest.spec.suspend) return 'gt start';
  const suspended = new Set(f.world.objects.filter((o) => o.manifest.kind === 'Rig' && o.manifest.spec.suspend).map((o) => o.manifest.metadata.name));
  const rigs = new Set(expected.map((e) => e.split('/')[0]!));
  if ([...rigs].every((r) => suspended.has(r)) && expected.every((e) => e.includes('/polecats/'))) return rigs.size === 1 ? `gt start ${[...rigs][0]}` : 'gt start';
  return undefined;
}
