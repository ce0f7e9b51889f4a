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
