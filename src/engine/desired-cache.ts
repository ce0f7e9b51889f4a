import type { DesiredWorld } from './controller.js';

/**
 * The desired state as the loop last read it, in the manner of an informer's cache: read once per
 * change (the store watch invalidates it, and so do this process's own writes), not once per key.
 * A reconcile that starts between a write and its invalidation sees the old spec and is simply
 * run again when the change arrives: the loop is level-triggered.
 */
export class DesiredStateCache {
  private current: Promise<DesiredWorld> | undefined;

  constructor(private readonly load: () => Promise<DesiredWorld>) {}

  world(): Promise<DesiredWorld> {
    const loading = (this.current ??= this.load());
    // A failed read is not kept: the next caller reads again.
    loading.catch(() => {
      if (this.current === loading) this.current = undefined;
    });
    return loading;
  }

  invalidate(): void {
    this.current = undefined;
  }
}
