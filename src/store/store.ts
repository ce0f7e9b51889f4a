import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isErrno, readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import { KINDS, KIND_ORDER, type Kind, type Manifest, type ManifestOf } from '../model/objects.js';

/** The desired state of one object as gt keeps it (one JSON file per object under .gt/store/). */
export interface StoredObject<M extends Manifest = Manifest> {
  manifest: M;
  /** Bumped only when the spec really changes. */
  generation: number;
  createdAt: string;
  updatedAt: string;
  /** Set by `gt delete`/`--prune`; the object's controller removes the record once cleanup is done. */
  deletionRequestedAt?: string;
  /** The manifest exactly as written by the user, for `gt get -o yaml` and change detection. */
  lastApplied: Record<string, unknown>;
  source?: string;
}

export class Store {
  constructor(private readonly dir: string) {}

  private file(kind: Kind, name: string): string {
    return path.join(this.dir, kind.toLowerCase(), `${name}.json`);
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async get<K extends Kind>(kind: K, name: string): Promise<StoredObject<ManifestOf<K>> | undefined> {
    const text = await readTextIfExists(this.file(kind, name));
    return text === undefined ? undefined : (JSON.parse(text) as StoredObject<ManifestOf<K>>);
  }

  /** Every stored object of `kind` (or of every kind, Town first), sorted by name. */
  async list(kind?: Kind): Promise<StoredObject[]> {
    const kinds = kind ? [kind] : [...KINDS].sort((a, b) => KIND_ORDER[a] - KIND_ORDER[b]);
    const out: StoredObject[] = [];
    for (const k of kinds) {
      let names: string[];
      try {
        names = (await readdir(path.join(this.dir, k.toLowerCase()))).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      const records = await Promise.all(names.sort().map((n) => readFile(path.join(this.dir, k.toLowerCase(), n), 'utf8')));
      out.push(...records.map((t) => JSON.parse(t) as StoredObject));
    }
    return out;
  }

  async put(obj: StoredObject): Promise<void> {
    await writeFileAtomic(this.file(obj.manifest.kind, obj.manifest.metadata.name), toJsonText(obj));
  }

  async remove(kind: Kind, name: string): Promise<void> {
    await rm(this.file(kind, name), { force: true });
  }
}
