import type { LiveState, LiveTown } from './live.js';
import { fragments, patches, type Fragment, type Patch, type RenderOptions } from './fragments.js';

/** Versions whose fragments are kept, so a page loaded a moment ago gets only what changed since. */
const KEPT_VERSIONS = 20;

/**
 * The page's fragments at each version of the town, and the patches between them: computed once
 * per change for every open page, which then swaps only the fragments that changed.
 */
export class PageFeed {
  private readonly byVersion = new Map<number, Map<string, Fragment>>();
  private latest: { version: number; list: Fragment[] } | undefined;
  private readonly listeners = new Set<(version: number, p: Patch[]) => void>();

  constructor(
    live: LiveTown,
    private readonly options: RenderOptions,
  ) {
    live.onState((s) => this.update(s));
  }

  /** The fragments of the latest state (computed for it if this feed has not seen it yet). */
  at(s: LiveState): { version: number; list: Fragment[] } {
    if (this.latest?.version !== s.version) this.update(s);
    return this.latest!;
  }

  private update(s: LiveState): void {
    if (this.latest && this.latest.version >= s.version) return;
    const list = fragments(s, this.options);
    const before = this.latest ? this.byVersion.get(this.latest.version) : undefined;
    this.latest = { version: s.version, list };
    this.byVersion.set(s.version, new Map(list.map((f) => [f.id, f])));
    for (const v of this.byVersion.keys()) if (v <= s.version - KEPT_VERSIONS) this.byVersion.delete(v);
    if (!before) return;
    const p = patches(before, list);
    if (p.length) for (const fn of this.listeners) fn(s.version, p);
  }

  /** What a page showing `version` needs to show the latest: nothing, the changes, or (too old) a reload. */
  since(version: number): Patch[] | 'reload' {
    if (!this.latest || version === this.latest.version) return [];
    const before = this.byVersion.get(version);
    return before ? patches(before, this.latest.list) : 'reload';
  }

  subscribe(fn: (version: number, p: Patch[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get version(): number {
    return this.latest?.version ?? 0;
  }
}
