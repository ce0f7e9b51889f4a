import { fail } from '../../errors.js';
import type { GlobalOptions } from '../options.js';

export interface DoctorOptions {
  fix?: boolean;
  output?: string;
}

export async function doctorCommand(_g: GlobalOptions, _o: DoctorOptions): Promise<number> {
  fail({ kind: 'usage', message: 'gt doctor is being built' });
}
