import { fail } from '../../errors.js';
import type { GlobalOptions } from '../options.js';

export async function stopCommand(_g: GlobalOptions, _rig: string | undefined, _o: { now?: boolean; reconcile?: boolean }): Promise<number> {
  fail({ kind: 'usage', message: 'gt stop is being built' });
}

export async function startCommand(_g: GlobalOptions, _rig: string | undefined, _o: { reconcile?: boolean }): Promise<number> {
  fail({ kind: 'usage', message: 'gt start is being built' });
}
