import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readTextIfExists, toJsonText, writeFileAtomic } from '../util/atomic.js';
import { deepFreeze } from '../util/freeze.js';
import { listDir } from '../util/fs-read.js';
import { fail } from '../errors.js';
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
   * The last parsed record of each file, reused while its text is the same: reading is cheap,
   * parsing and freezing a big record (a Swarm of tens of thousands of tasks) is not.
   */
  private readonly parsed = new Map<string, { text: string; record: StoredObject }>();
  private readonly listeners = new Set<() => void>();

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
    if (text === undefined) return undefined;
    // A record cut short (a disk that filled or lost its tail) is as good as absent here, so that
    // applying the object again writes it anew; listing the store says what is wrong with it.
    return parseRecord(text) as StoredObject<ManifestOf<K>> | undefined;
  }

  /** Every stored object of `kind` (or of every kind, Town first), sorted by name. */
  async list(kind?: Kind, opts: { skipUnreadable?: boolean } = {}): Promise<StoredObject[]> {
    const kinds = kind ? [kind] : [...KINDS].sort((a, b) => KIND_ORDER[a] - KIND_ORDER[b]);
    const out: StoredObject[] = [];
    for (const k of kinds) out.push(...(await this.listKind(k, opts.skipUnreadable ?? false)));
    return out;
  }

  /** `skipUnreadable`: a record that does not parse counts as absent (gt apply, which replaces it) instead of stopping the command. */
  private async listKind(kind: Kind, skipUnreadable: boolean): Promise<readonly StoredObject[]> {
    const dir = path.join(this.dir, kind.toLowerCase());
    const names = (await listDir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    const out: StoredObject[] = [];
    for (const n of names) {
      const file = path.join(dir, n);
      const text = await readTextIfExists(file);
      // Removed between the listing and the read (a finalizer, gt delete): no longer stored.
      if (text === undefined) continue;
      const known = this.parsed.get(file);
      // Frozen and shared, never changed in place: a change is a new record, put back.
      const record = known && known.text === text ? known.record : parseRecord(text);
      // Every command stops with the file named rather than act on a town it cannot fully read.
      if (!record && skipUnreadable) continue;
      if (!record) fail({ kind: 'invalidInput', diagnostics: [{ file, message: `this stored object does not parse (cut short?); apply its manifest again (gt apply -f) to replace it` }] });
      const entry = known && known.text === text ? known : { text, record: deepFreeze(record) };
      this.parsed.set(file, entry);
      out.push(entry.record);
    }
    // Records removed by another process are forgotten here.
    for (const file of this.parsed.keys()) if (path.dirname(file) === dir && !names.includes(path.basename(file))) this.parsed.delete(file);
    return Object.freeze(out);
  }

  /** Called after each write or removal this process makes (the loop's cache of the desired state). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(kind: Kind, name: string): void {
    this.parsed.delete(this.file(kind, name));
    for (const l of this.listeners) l();
  }

  async put(obj: StoredObject): Promise<void> {
    await writeFileAtomic(this.file(obj.manifest.kind, obj.manifest.metadata.name), toJsonText(obj));
    this.changed(obj.manifest.kind, obj.manifest.metadata.name);
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
    await rm(this.file(kind, name), { force: true });
    this.changed(kind, name);
  }
}

function parseRecord(text: string): StoredObject | undefined {
  try {
    return JSON.parse(text) as StoredObject;
  } catch {
    return undefined;
  }
}
