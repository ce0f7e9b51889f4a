/**
 * Timestamps as beads writes and reads them. bd (Go's time.Time) writes RFC 3339 with up to
 * nine fractional digits and an offset; older exports and hand-edited files also carry values
 * without a fraction, without an offset, or with a space instead of the `T` (SQLite style).
 */

const ZONED = /(?:[Zz]|[+-]\d{2}:?\d{2})$/;
const UNZONED = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?$/;

/**
 * Milliseconds since the epoch; NaN when the value is not a timestamp. A value with an offset
 * goes to Date.parse, which reads every RFC 3339 form bd writes (a readiness pass over 50,000
 * issues parses each creation time, so the native parser matters). A value without one is
 * taken as UTC, which is what SQLite's CURRENT_TIMESTAMP produced in old bd databases, where
 * Date.parse would assume local time.
 */
export function timestampMs(value: string): number {
  if (ZONED.test(value)) return Date.parse(value);
  const m = UNZONED.exec(value);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.slice(0, 3).padEnd(3, '0')));
}

/**
 * Local time with millisecond fraction and numeric offset, the shape Go's time.Now() marshals
 * to (`Z` when the offset is zero, as Go writes it). The fraction is always three digits so a
 * reader never has to guess whether one was meant.
 */
export function formatTimestamp(date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}${zone}`
  );
}
