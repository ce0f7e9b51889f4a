import path from 'node:path';
import { fail } from '../errors.js';

const NAME = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const PATTERNS: { re: RegExp; dir: (root: string, m: RegExpExecArray) => string }[] = [
  { re: /^(mayor|overseer)$/, dir: (root, m) => path.join(root, m[1]!) },
  { re: new RegExp(`^(${NAME})/(witness|refinery)$`), dir: (root, m) => path.join(root, m[1]!, m[3]!) },
  { re: new RegExp(`^(${NAME})/(polecats|plugins)/(${NAME})$`), dir: (root, m) => path.join(root, m[1]!, m[3]!, m[4]!) },
];

/** Mail addresses: `mayor`, `overseer`, `RIG/witness`, `RIG/refinery`, `RIG/polecats/NAME`, `RIG/plugins/NAME`. */
export function inboxPath(root: string, address: string): string {
  for (const p of PATTERNS) {
    const m = p.re.exec(address);
    if (m) return path.join(p.dir(root, m), 'mail', 'inbox.jsonl');
  }
  fail({ kind: 'usage', message: `not a mail address: ${JSON.stringify(address)} (expected mayor, overseer, RIG/witness, RIG/refinery, RIG/polecats/NAME or RIG/plugins/NAME)` });
}

export function polecatAddress(rig: string, name: string): string {
  return `${rig}/polecats/${name}`;
}
