/**
 * How many of `times` (ISO, oldest first) form an unbroken chain ending at `now`, each within
 * `windowMs` of the next: a session that keeps dying before it ever ran `windowMs` in one go.
 * A count of crashes in a fixed window misses one that dies a little slower than the window
 * divided by the limit, and would restart it forever; a chain does not.
 */
export function crashChain(times: string[], now: number, windowMs: number): number {
  let count = 0;
  let next = now;
  for (let i = times.length - 1; i >= 0; i--) {
    const t = Date.parse(times[i]!);
    if (next - t >= windowMs) break;
    count++;
    next = t;
  }
  return count;
}

/** Deaths further apart than this are not one chain: a run this long was healthy. */
export const CRASH_WINDOW_MS = 10 * 60_000;
/** The longest wait before a restart, however long the chain. */
export const MAX_BACKOFF_MS = 5 * 60_000;

/*
 * The two rules below count `deaths`: how many times the session died in its current chain, the
 * death being handled now included (1 for a first crash). The worker pool counts the starts in
 * the chain (each of those runs died); the session cycle records a crash at each restart, so it
 * counts the recorded crashes in the chain plus the death not yet recorded. The counts differ in
 * one case only: the session cycle also counts the death that began the chain when the run it
 * ended was a healthy one.
 */

/** How long after the start that died the next one waits: `baseMs`, doubling per death in the chain, capped at MAX_BACKOFF_MS. */
export function restartBackoffMs(baseMs: number, deaths: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, deaths - 1));
}

/** `maxRestarts` restarts are allowed in a chain: a death after the last of them is a crash loop (no further restart). */
export function isCrashLoop(deaths: number, maxRestarts: number): boolean {
  return deaths > maxRestarts;
}
