import { describe, expect, it } from 'vitest';
import { WorkQueue, type WorkResult } from '../src/engine/workqueue.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('does not queue a waiting key twice', async () => {
    const runs: string[] = [];
    const gate = deferred();
    const q = new WorkQueue(
      async (k) => {
        await gate.promise;
        runs.push(k);
        return { kind: 'done' };
      },
      { concurrency: 1, baseDelayMs: 10, maxDelayMs: 100 },
    );
    q.add('blocker');
    q.add('a');
    q.add('a');
    q.add('a');
    gate.resolve();
    await q.drain();
    expect(runs).toEqual(['blocker', 'a']);
  });

  it('runs a key added while it is in progress exactly once more, after it finishes, never concurrently', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const gate = deferred();
    const q = new WorkQueue(
      async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        if (runs === 1) await gate.promise;
        running--;
        return { kind: 'done' };
      },
      { concurrency: 4, baseDelayMs: 10, maxDelayMs: 100 },
    );
    q.add('k');
    await new Promise((r) => setTimeout(r, 5));
    q.add('k');
    q.add('k');
    gate.resolve();
    await q.drain();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('retries failed keys with growing delays and forgets failures after a success', async () => {
    const times: number[] = [];
    const q = new WorkQueue(
      (): Promise<WorkResult> => {
        times.push(Date.now());
        return Promise.resolve(times.length < 4 ? { kind: 'retry', error: 'boom' } : { kind: 'done' });
      },
      { concurrency: 1, baseDelayMs: 20, maxDelayMs: 1000 },
    );
    q.add('k');
    // Wait for the outcome, not for a fixed time: a busy machine only makes this slower.
    for (let i = 0; i < 500 && times.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(times.length).toBe(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[2]).toBeGreaterThanOrEqual(60);
    expect(q.failureCount('k')).toBe(0);
    expect(q.retryDelay(1)).toBeLessThanOrEqual(24);
    expect(q.retryDelay(3)).toBeGreaterThanOrEqual(64);
    expect(q.retryDelay(30)).toBeLessThanOrEqual(1200);
    q.stop();
  });

  it('does not retry terminal failures', async () => {
    let runs = 0;
    const q = new WorkQueue(
      (): Promise<WorkResult> => {
        runs++;
        return Promise.resolve({ kind: 'terminal', error: 'invalid' });
      },
      { concurrency: 1, baseDelayMs: 5, maxDelayMs: 10 },
    );
    q.add('k');
    await q.drain();
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(1);
  });

  it('a resync does not undo the backoff of a failing key; a change of the spec does', async () => {
    let runs = 0;
    const q = new WorkQueue(
      (): Promise<WorkResult> => {
        runs++;
        return Promise.resolve({ kind: 'retry', error: 'unreachable', delayMs: 60_000 });
      },
      { concurrency: 1, baseDelayMs: 10, maxDelayMs: 100 },
    );
    q.add('k');
    await q.drain();
    expect(runs).toBe(1);
    q.addUnlessBackingOff('k');
    await q.drain();
    expect(runs).toBe(1);
    q.add('k');
    await q.drain();
    expect(runs).toBe(2);
    q.stop();
  });
});
