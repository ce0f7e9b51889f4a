import path from 'node:path';
import { listDir } from '../util/fs-read.js';

/**
 * Facts read once per planning pass, by key: while every object is planned at once and nothing
 * acts (Reconciler.planAll), the controllers of the pass share what more than one of them reads.
 * It ends with the pass; act never sees it (ObserveContext).
 */
export class ObservationPass {
  private readonly facts = new Map<string, Promise<unknown>>();

  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let fact = this.facts.get(key) as Promise<T> | undefined;
    if (!fact) {
      fact = read();
      this.facts.set(key, fact);
    }
    return fact;
  }
}

/** `read`, shared with the other readers of the pass when there is one. */
export function observeOnce<T>(pass: ObservationPass | undefined, key: string, read: () => Promise<T>): Promise<T> {
  return pass ? pass.once(key, read) : read();
}

/**
 * `read` of a file (or directory) in one of gt's record directories, where most are absent (a
 * rig's key locks, session records, merge queue): in a pass the directory is listed once, and
 * what is not listed is absent without opening it. Without a pass, `read` alone.
 */
export async function readIfListed<T>(pass: ObservationPass | undefined, file: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  if (!pass) return read();
  const dir = path.dirname(file);
  const names = await pass.once(`names:${dir}`, async () => new Set(await listDir(dir)));
  return names.has(path.basename(file)) ? read() : undefined;
}
