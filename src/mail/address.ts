import path from 'node:path';
import { fail } from '../errors.js';

const NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const PATTERNS: { re: RegExp; dir: (root: string, m: RegExpExecArray) => string }[] = [
  { re: /^(mayor|overseer)$/, dir: (root, m) => path.join(root, m[1]!) },
  { re: new RegExp(`^(${NAME})/(witness|refinery)$`), dir: (root, m) => path.join(root, m[1]!, m[3]!) },
  { re: new RegExp(`^(${NAME})/(polecats|plugins)/(${NAME})$`), dir: (root, m) => path.join(root, m[1]!, m[3]!, m[4]!) },
  { re: new RegExp(`^plugins/(${NAME})$`), dir: (root, m) => path.join(root, 'plugins', m[1]!) },
];

/**
 * An agent's directory (its home: CLAUDE.md, state.json, mail/) from its mail address: `mayor`,
 * `overseer`, `RIG/witness`, `RIG/refinery`, `RIG/polecats/NAME`, `RIG/plugins/NAME`, or
 * `plugins/NAME` (a town-wide plugin).
 */
export function agentDir(root: string, address: string): string {
  for (const p of PATTERNS) {
    const m = p.re.exec(address);
    if (m) return p.dir(root, m);
  }
  fail({ kind: 'usage', message: `not a mail address: ${JSON.stringify(address)} (expected mayor, overseer, RIG/witness, RIG/refinery, RIG/polecats/NAME, RIG/plugins/NAME or plugins/NAME)` });
}

export function inboxPath(root: string, address: string): string {
  return path.join(agentDir(root, address), 'mail', 'inbox.jsonl');
}

/** A plugin's address: under its rig, or town-wide. */
export function pluginAddress(plugin: { metadata: { name: string }; spec: { rig?: string } }): string {
  return plugin.spec.rig ? `${plugin.spec.rig}/plugins/${plugin.metadata.name}` : `plugins/${plugin.metadata.name}`;
}

export function polecatAddress(rig: string, name: string): string {
  return `${rig}/polecats/${name}`;
}
