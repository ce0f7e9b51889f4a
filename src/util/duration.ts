const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parses the schema's duration strings ("500ms", "5s", "10m", "2h") into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (expected e.g. 500ms, 5s, 10m, 2h)`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** "45s", "9m48s", "2h5m": a duration for people, to the second. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ''}`;
}
