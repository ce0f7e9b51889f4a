import type { Finding, Plan } from '../../src/engine/controller.js';
import type { Rig } from '../../src/model/objects.js';
import { sameRemote, type CloneState } from '../../src/adapters/git.js';
import { unsafeToDelete } from '../../src/policy/clone-safety.js';
import { toJsonText } from '../../src/util/atomic.js';
import { rigDefaultBranch } from '../../src/town/default-branch.js';
import { planFiles } from '../common/file-actions.js';
import type { CloneRole, RigAction } from './actions.js';
import { rigLayout, type RigObserved } from './observe.js';

export function beadsPrefix(rig: Rig): string {
  return rig.spec.beads.prefix ?? rig.metadata.name;
}

/** <rig>/config.json: the rig's spec as gt applied it, for people and agents to read. */
export function renderRigConfig(rig: Rig): string {
  return toJsonText({ type: 'rig', name: rig.metadata.name, managedBy: 'gt', beadsPrefix: beadsPrefix(rig), spec: rig.spec });
}

/** Pure: what to do for one Rig given what is on disk. */
export function planRig(rig: Rig, removing: boolean, o: RigObserved): Plan<RigAction> {
  const name = rig.metadata.name;
  const actions: RigAction[] = o.partials.map((p) => ({ type: 'removePartialClone', path: p }));
  const findings: Finding[] = [];
  if (removing) {
    if (o.roleSessions.length) {
      // Its session-cycle controller ends them (after a handoff); the rig goes once they have.
      return { actions, findings, notes: [`Rig "${name}" is removed once sessions ${o.roleSessions.join(', ')} have ended`], requeueAfterMs: 1000 };
    }
    planRemoval(name, o, actions, findings);
    return { actions, findings };
  }
  const l = rigLayout(name);
  const prefix = beadsPrefix(rig);
  // Issues kept in the repository are the project's: the town's .beads holds only gt's lock then.
  const inTown = rig.spec.beads.location !== 'repository';
  actions.push(
    ...planFiles(
      {
        dirs: l.dirs,
        rendered: { [l.config]: renderRigConfig(rig) },
        seeded: inTown
          ? {
              // Where bd keeps a database, issues.jsonl is bd's export: gt creates nothing there.
              ...(o.bdDatabase ? {} : { [l.issues]: { content: '', note: 'empty issue database' } }),
              [l.beadsConfig]: { content: `issue-prefix: "${prefix}"\n`, note: `issue prefix "${prefix}"` },
            }
          : {},
      },
      o.paths,
    ),
  );
  const existingPrefix = /^issue-prefix:\s*["']?([^"'\s]+)/m.exec(o.paths.files[l.beadsConfig] ?? '')?.[1];
  if (inTown && existingPrefix !== undefined && existingPrefix !== prefix) {
    findings.push({
      code: 'BeadsPrefixMismatch',
      message: `${l.beadsConfig} has issue-prefix "${existingPrefix}" but the spec says "${prefix}"; issues may already use the old prefix, so gt leaves it to you`,
    });
  }
  const branch = rigDefaultBranch(rig, o.remoteHead);
  for (const role of ['refinery', 'mayor'] as const) planClone(rig, branch, role, l.clones[role], o.clones[role], actions, findings);
  return { actions, findings };
}

function planClone(rig: Rig, branch: string | undefined, role: CloneRole, at: string, state: CloneState, actions: RigAction[], findings: Finding[]): void {
  switch (state.state) {
    case 'missing':
      actions.push({ type: 'createClone', role, path: at, url: rig.spec.gitUrl, branch });
      return;
    case 'notRepo':
      findings.push({ code: 'CloneNotARepository', message: `${at} exists but is not a git clone; move it away and gt will clone ${rig.spec.gitUrl} there` });
      return;
    case 'repo':
      if (!sameRemote(state.remoteUrl, rig.spec.gitUrl)) {
        findings.push({
          code: 'CloneRemoteMismatch',
          message: `${at} has origin ${state.remoteUrl ?? '(none)'} but the spec says ${rig.spec.gitUrl}; gt will not rewrite it (fix it with git remote set-url, or move the clone away)`,
        });
      }
  }
}

function planRemoval(name: string, o: RigObserved, actions: RigAction[], findings: Finding[]): void {
  const l = rigLayout(name);
  const clones = [{ path: l.clones.refinery, state: o.clones.refinery }, { path: l.clones.mayor, state: o.clones.mayor }, ...o.polecats].filter((c) => c.state.state !== 'missing');
  if (o.workers.length) {
    // Working polecats finish first (the worker pool dispatches nothing new in a rig being removed).
    findings.push({ code: 'RemovalBlockedByWorkers', message: `polecats ${o.workers.join(', ')} of Rig "${name}" are still working; the rig is removed once they are done` });
    return;
  }
  const unsafe = clones.map((c) => ({ c, why: unsafeToDelete(c.state) })).filter((x) => x.why);
  if (unsafe.length) {
    // Nothing is removed while any clone holds work: the person gets the rig back whole.
    for (const { c, why } of unsafe) {
      findings.push({ code: 'RemovalBlockedByWork', message: `${c.path} ${why}; Rig "${name}" is kept until that work is pushed or removed by hand` });
    }
    return;
  }
  for (const c of clones) actions.push({ type: 'removeClone', path: c.path });
  if (o.paths.dirs[name]) actions.push({ type: 'removeRigDir', path: name, keepBeads: o.beadsLines > 0 });
  actions.push({ type: 'finalize', name });
}
