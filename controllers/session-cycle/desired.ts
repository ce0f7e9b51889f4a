import { agentLaunch, type AgentLaunch, type AgentRole } from '../../src/agents/contract.js';
import { roleInstructions } from '../../src/agents/roles.js';
import type { DesiredWorld } from '../../src/engine/controller.js';
import type { AgentSpec, SessionSpec } from '../../src/generated/manifest-types.js';
import { agentDir, pluginAddress } from '../../src/mail/address.js';
import type { Plugin, Rig, Town } from '../../src/model/objects.js';
import type { StoredObject } from '../../src/store/store.js';
import { parseDuration } from '../../src/util/duration.js';
import { promptFile, type BeadsLocation } from '../../src/town/layout.js';

/** Where sessions run: the town root, and the PATH they inherit (observed: gt's own, `gtPath`). */
export interface SessionHost {
  root: string;
  inheritedPath: string;
}

/** One long-running agent session as the spec wants it (DESIGN.md §4 session-cycle). */
export interface DesiredSession {
  /** tmux session name: `gt-mayor`, `gt-RIG-witness`, `gt-RIG-refinery`, `gt-RIG-plugin-NAME`, `gt-plugin-NAME`. */
  name: string;
  role: Exclude<AgentRole, 'polecat'>;
  /** '' for town-level agents. */
  rig: string;
  address: string;
  /** The agent's home and working directory: CLAUDE.md, state.json, mail/. */
  home: string;
  promptFile: string;
  instructions: string;
  launch: AgentLaunch;
  /** False: the session must end (after a handoff) or stay ended, with why. */
  enabled: boolean;
  why?: string;
  settings: SessionSettings;
}

export interface SessionSettings {
  idleAfterMs: number;
  handoffTimeoutMs: number;
  restartBackoffMs: number;
  maxRestarts: number;
}

export function sessionSettings(s: SessionSpec): SessionSettings {
  return {
    idleAfterMs: parseDuration(s.idleAfter),
    handoffTimeoutMs: parseDuration(s.handoffTimeout),
    restartBackoffMs: parseDuration(s.restartBackoff),
    maxRestarts: s.maxRestarts,
  };
}

/** Why a session must not run, or undefined when it should. */
function blocked(spec: SessionSpec, town: Town | undefined, rig: Rig | undefined, deleting: boolean, extra?: string): string | undefined {
  if (deleting) return 'its object is being removed';
  if (town?.spec.suspend) return 'the town is stopped (gt start resumes it)';
  if (rig?.spec.suspend) return `rig ${rig.metadata.name} is stopped (gt start ${rig.metadata.name} resumes it)`;
  if (extra) return extra;
  if (!spec.enabled) return 'not enabled in the spec';
  return undefined;
}

function session(
  host: SessionHost,
  town: Town | undefined,
  d: {
    name: string;
    role: DesiredSession['role'];
    rig: string;
    address: string;
    spec: SessionSpec;
    agents: (AgentSpec | undefined)[];
    why: string | undefined;
    extraInstructions?: string;
    beadsLocation?: BeadsLocation;
  },
): DesiredSession {
  const root = host.root;
  const home = agentDir(root, d.address);
  const prompt = promptFile(root, d.rig, d.name);
  const instructions = roleInstructions({
    role: d.role,
    rig: d.rig,
    address: d.address,
    town: town?.metadata.name ?? 'town',
    extra: [d.extraInstructions, d.spec.instructions].filter((x): x is string => !!x).join('\n\n'),
  });
  const launch = agentLaunch({
    root,
    inheritedPath: host.inheritedPath,
    rig: d.rig,
    role: d.role,
    address: d.address,
    cwd: home,
    promptFile: prompt,
    instructions,
    agents: d.agents,
    beadsLocation: d.beadsLocation,
  });
  return {
    name: d.name,
    role: d.role,
    rig: d.rig,
    address: d.address,
    home,
    promptFile: prompt,
    instructions,
    launch,
    enabled: d.why === undefined,
    ...(d.why ? { why: d.why } : {}),
    settings: sessionSettings(d.spec),
  };
}

export function mayorSession(host: SessionHost, town: StoredObject<Town>): DesiredSession {
  const spec = town.manifest.spec.mayor;
  return session(host, town.manifest, {
    name: 'gt-mayor',
    role: 'mayor',
    rig: '',
    address: 'mayor',
    spec,
    agents: [town.manifest.spec.agent, spec.agent],
    why: blocked(spec, town.manifest, undefined, town.deletionRequestedAt !== undefined),
  });
}

export function rigSessions(host: SessionHost, rig: StoredObject<Rig>, world: DesiredWorld): DesiredSession[] {
  const town = world.town?.manifest;
  const r = rig.manifest;
  const name = r.metadata.name;
  return (['witness', 'refinery'] as const).map((role) => {
    const spec = r.spec[role];
    return session(host, town, {
      name: `gt-${name}-${role}`,
      role,
      rig: name,
      address: `${name}/${role}`,
      spec,
      agents: [town?.spec.agent, r.spec.agent, spec.agent],
      why: blocked(spec, town, r, rig.deletionRequestedAt !== undefined),
      beadsLocation: r.spec.beads.location,
    });
  });
}

export function pluginSession(host: SessionHost, plugin: StoredObject<Plugin>, world: DesiredWorld): DesiredSession {
  const town = world.town?.manifest;
  const p = plugin.manifest;
  const rigName = p.spec.rig;
  const rig = rigName ? (world.objects.find((o) => o.manifest.kind === 'Rig' && o.manifest.metadata.name === rigName)?.manifest as Rig | undefined) : undefined;
  // Not the rig's suspend: a suspended rig still merges what is queued, and asks its plugins
  // (gt stop RIG suspends the rig's plugins themselves).
  const why = blocked(
    { ...p.spec.session, enabled: true },
    town,
    undefined,
    plugin.deletionRequestedAt !== undefined,
    p.spec.suspend ? 'the plugin is stopped (gt start resumes it)' : rigName && !rig ? `its rig ${rigName} does not exist` : undefined,
  );
  return session(host, town, {
    name: rigName ? `gt-${rigName}-plugin-${p.metadata.name}` : `gt-plugin-${p.metadata.name}`,
    role: 'plugin',
    rig: rigName ?? '',
    address: pluginAddress(p),
    spec: p.spec.session,
    agents: [town?.spec.agent, rig?.spec.agent, p.spec.agent],
    why,
    beadsLocation: rig?.spec.beads.location,
    extraInstructions: `## Your hooks: ${p.spec.hooks.join(', ')}\n\n${p.spec.instructions}`,
  });
}
