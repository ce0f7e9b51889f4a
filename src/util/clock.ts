/**
 * The time observe hands the plans as `now`. A test moves it forward for one command,
 * `GT_CLOCK_SKEW_MS=7000 gt run --once`, to see a time-based rule come due (idleAfter, a restart
 * backoff, a handoff's quiet time) without sleeping. Unset, it is the wall clock.
 */
export function observedNow(): number {
  const skew = Number(process.env.GT_CLOCK_SKEW_MS ?? 0);
  return Date.now() + (Number.isFinite(skew) ? skew : 0);
}
