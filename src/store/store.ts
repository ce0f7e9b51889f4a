import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import { deepFreeze } from '../util/freeze.js';
import { acquireLock } from './lock.js';
import { KINDS, KIND_ORDER, type Kind, type Manifest, type ManifestOf } from '../model/objects.js';

/** The desired state of one object as gt keeps it (one JSON file per object under .gt/store/). */
export interface StoredObject<M extends Manifest = Manifest> {
  /**
   * The manifest with the schema's defaults filled in, once, by validation at apply
   * (src/manifest/validate.ts), and stored so: as Kubernetes keeps a defaulted object,
   * `gt get` shows and `gt diff` compares the values the controllers act on, and a default
   * changed by a later gt reaches a town only through a new apply, shown as a spec change.
   * Not filled in on load: that would compile the schemas in every command that reads the store, and
   * make the stored record and what gt acts on two things. A later gt that adds a defaulted
   * field fills it into stored records as a store migration.
   */
  manifest: M;
  /** Bumped only when the spec really changes. */
  generation: number;
  createdAt: string;
  updatedAt: string;
  /** Set by `gt delete`/`--prune`; the object's controller removes the record once cleanup is done. */
  deletionRequestedAt?: string;
  /** The manifest exactly as the user wrote it, no defaults filled in. */
  lastApplied: Record<string, unknown>;
  source?: string;
}

export class Store {
  /**
   * Records of each kind directory, kept while the directory's mtime is unchanged: every write is
   * a rename into the directory (and every removal an unlink), both of which move its mtime. The
   * loop reads the whole store once per key per pass, so this turns most reads into one stat.
   * As in git's "racy" index check, a directory changed in the last second is always read
   * again: file times are coarse, and two writes in one tick would leave the same mtime.
   */
  private readonly cache = new Map<Kind, { mtimeMs: number; records: readonly StoredObject[]; texts: Map<string, { text: string; record: StoredObject }> }>();

  /** `lockFile`: the town write lock, taken by `finalize` for its read-modify-write. */
  constructor(
    private readonly dir: string,
    private readonly lockFile?: string,
  ) {}

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
    for (const k of kinds) out.push(...(await this.listKind(k)));
    return out;
  }

  private async listKind(kind: Kind): Promise<readonly StoredObject[]> {
    const dir = path.join(this.dir, kind.toLowerCase());
    // Synchronous on purpose: this runs for every key on every pass (see util/quick-fs.ts).
    const st = statSync(dir, { throwIfNoEntry: false });
    if (!st) return [];
    const mtimeMs = st.mtimeMs;
    const hit = this.cache.get(kind);
    if (hit && hit.mtimeMs === mtimeMs && Date.now() - mtimeMs > 1000) return hit.records;
    const names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    // A file whose text is what was parsed last time keeps its record: reading is cheap, parsing
    // and freezing a big record (a Swarm of tens of thousands of tasks) is not, and within the racy
    // second every pass would otherwise parse it again.
    const texts = new Map<string, { text: string; record: StoredObject }>();
    for (const n of names.sort()) {
      const text = readFileSync(path.join(dir, n), 'utf8');
      const known = hit?.texts.get(n);
      // Frozen, not copied for each caller: the loop lists the store several times per key and
      // pass, and the copies were a good part of an idle loop's garbage. Records are never
      // changed in place (a change is a new record, put back).
      texts.set(n, known && known.text === text ? known : { text, record: deepFreeze(JSON.parse(text) as StoredObject) });
    }
    const records = Object.freeze([...texts.values()].map((t) => t.record));
    this.cache.set(kind, { mtimeMs, records, texts });
    return records;
  }

  /** Our own write: the next list reads the directory again (its parsed texts are still reused). */
  private stale(kind: Kind): void {
    const hit = this.cache.get(kind);
    if (hit) hit.mtimeMs = Number.NaN;
  }

  async put(obj: StoredObject): Promise<void> {
    this.stale(obj.manifest.kind);
    await writeFileAtomic(this.file(obj.manifest.kind, obj.manifest.metadata.name), toJsonText(obj));
  }

  /**
   * A finalizer's last step: removes the record only if its deletion is still requested, read
   * again under the town write lock, so a re-apply that cancelled the deletion while the cleanup
   * ran (without the lock: it may take minutes) is never lost. Returns whether it removed it.
   */
  async finalize(kind: Kind, name: string): Promise<boolean> {
    if (!this.lockFile) throw new Error('Store.finalize needs the town lock file');
    const held = await acquireLock(this.lockFile, { command: `finalize ${kind}/${name}`, timeoutMs: 30_000 });
    try {
      const current = await this.get(kind, name);
      if (!current?.deletionRequestedAt) return false;
      await this.remove(kind, name);
      return true;
    } finally {
      await held.release();
    }
  }

  async remove(kind: Kind, name: string): Promise<void> {
    this.stale(kind);
    await rm(this.file(kind, name), { force: true });
  }
}

