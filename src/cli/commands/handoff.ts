import { fail } from '../../errors.js';
import type { GlobalOptions } from '../options.js';

export async function handoffCommand(_g: GlobalOptions, _o: { message?: string; agent?: string }): Promise<number> {
  fail({ kind: 'usage', message: 'gt handoff is being built' });
}
