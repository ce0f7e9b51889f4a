import PQueue from 'p-queue';

export interface WorkQueueOptions {
  /** Keys reconciled at the same time. */
  concurrency: number;
  /** Delay before the first retry of a key whose reconcile failed; doubles with each further failure. */
  baseDelayMs: number;
  /** Upper bound of the retry delay. */
  maxDelayMs: number;
}

/** `delayMs`: when the caller already chose the retry's delay (retryDelay), to tell people when it comes. */
export type WorkResult = { kind: 'done' } | { kind: 'retry'; error: string; delayMs?: number } | { kind: 'terminal'; error: string };

/**
 * A per-key work queue in the manner of client-go's: a key already waiting is not queued twice;
 * a key added while it is being reconciled runs once more after it finishes (never twice at
 * once); failed keys come back with exponential backoff and jitter.
 */
export class WorkQueue {
  private readonly pq: PQueue;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private stopped = false;

  constructor(
    private readonly handler: (key: string) => Promise<WorkResult>,
    private readonly opts: WorkQueueOptions,
  ) {
    this.pq = new PQueue({ concurrency: opts.concurrency });
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    void this.pq.add(() => this.process(key));
  }

  /**
   * Adds the key unless it failed and waits for its retry: a periodic resync or a file gt itself
   * wrote must not undo the backoff (a failing clone retried every second). A change of the
   * desired state uses add.
   */
  addUnlessBackingOff(key: string): void {
    if (this.failureCount(key) > 0 && this.timers.has(key)) return;
    this.add(key);
  }

  /** Adds the key after `ms`; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Keys waiting (due now or after a delay) and keys being reconciled now: for metrics. */
  snapshot(): { depth: number; processing: number } {
    return { depth: this.queued.size + this.timers.size, processing: this.processing.size };
  }

  /** Consecutive failures of a key (0 after a success). */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  retryDelay(failures: number): number {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.max(0, failures - 1));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  /** Resolves when nothing is queued or running; delayed retries do not count. */
  async drain(): Promise<void> {
    while (this.queued.size || this.processing.size) await this.pq.onIdle();
  }

  stop(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.pq.clear();
    this.queued.clear();
  }

  private async process(key: string): Promise<void> {
    this.queued.delete(key);
    this.processing.add(key);
    let result: WorkResult;
    try {
      result = await this.handler(key);
    } catch (err) {
      result = { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
    } finally {
      this.processing.delete(key);
    }
    if (result.kind === 'retry') {
      const n = this.failureCount(key) + 1;
      this.failures.set(key, n);
      this.addAfter(key, result.delayMs ?? this.retryDelay(n));
    } else {
      this.failures.delete(key);
    }
    if (this.dirty.delete(key)) this.add(key);
  }
}
