import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../errors.js';

const MIN_LENGTH = 4;
const MAX_LENGTH = 6;

/** bd's prefixes are short words such as `gt` or `my-app`; anything else would not round-trip. */
export function checkPrefix(prefix: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(prefix)) {
    fail({ kind: 'usage', message: `beads prefix ${JSON.stringify(prefix)} must be letters, digits, "-" or "_", not starting with "-"` });
  }
}

/**
 * A hash-style id, `<prefix>-<base36>`, as bd makes them since 0.20: unpredictable (so two
 * clones creating issues at once do not collide the way sequential numbers did), and short. It
 * starts at 4 characters and grows only when the shorter one is taken in this file; a fresh
 * random salt is drawn if even 6 characters collide.
 */
export function newIssueId(prefix: string, title: string, now: Date, taken: ReadonlySet<string>): string {
  for (;;) {
    const digest = createHash('sha256').update(`${title}\0${now.toISOString()}\0`).update(randomBytes(16)).digest('hex');
    // The low-order base-36 digits are uniformly spread; the leading one is not.
    const base36 = BigInt(`0x${digest}`).toString(36);
    for (let len = MIN_LENGTH; len <= MAX_LENGTH; len++) {
      const id = `${prefix}-${base36.slice(-len)}`;
      if (!taken.has(id)) return id;
    }
  }
}
