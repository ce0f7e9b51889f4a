// A swarm as its dependency graph, in inline SVG: one column per wave, one box per task coloured
// by its state, an arrow per dependency, the current wave highlighted.
import type { SwarmDetails, SwarmTaskRow } from '../swarm/details.js';
import { html, type Markup } from './html.js';

const BOX_W = 170;
const BOX_H = 40;
const COL_GAP = 50;
const ROW_GAP = 12;
const PAD = 10;
const TITLE_CHARS = 22;

function stateOf(t: SwarmTaskRow, d: SwarmDetails): string {
  if (t.awaitingMerge) return 'merging';
  if (t.state === 'open' && d.ready.includes(t.id)) return 'ready';
  return t.state;
}

export function swarmGraph(d: SwarmDetails): Markup {
  const columns = new Map<number, SwarmTaskRow[]>();
  for (const t of d.tasks) columns.set(t.wave, [...(columns.get(t.wave) ?? []), t]);
  const waves = [...columns.keys()].sort((a, b) => a - b);
  const place = new Map<string, { x: number; y: number }>();
  waves.forEach((w, col) => columns.get(w)!.forEach((t, row) => place.set(t.id, { x: PAD + col * (BOX_W + COL_GAP), y: PAD + 20 + row * (BOX_H + ROW_GAP) })));
  const rows = Math.max(1, ...[...columns.values()].map((c) => c.length));
  const width = PAD * 2 + waves.length * BOX_W + Math.max(0, waves.length - 1) * COL_GAP;
  const height = PAD * 2 + 20 + rows * (BOX_H + ROW_GAP);
  const bands = waves.map((w, col) => {
    const x = PAD + col * (BOX_W + COL_GAP) - 6;
    const current = w === d.currentWave;
    return html`<g class="wave${current ? ' current' : ''}" data-wave="${w}"><rect x="${x}" y="2" width="${BOX_W + 12}" height="${height - 4}" rx="6"/><text x="${x + 8}" y="16">wave ${w}${current ? ' (current)' : ''}</text></g>`;
  });
  const edges = d.tasks.flatMap((t) =>
    t.dependsOn.flatMap((dep) => {
      const a = place.get(dep);
      const b = place.get(t.id);
      return a && b ? [html`<line class="edge" x1="${a.x + BOX_W}" y1="${a.y + BOX_H / 2}" x2="${b.x}" y2="${b.y + BOX_H / 2}" marker-end="url(#arrow)"/>`] : [];
    }),
  );
  const nodes = d.tasks.map((t) => {
    const p = place.get(t.id)!;
    const state = stateOf(t, d);
    const title = t.title.length > TITLE_CHARS ? `${t.title.slice(0, TITLE_CHARS - 1)}…` : t.title;
    return html`<g class="task st-${state}" data-task="${t.id}" data-state="${state}"><title>${t.id} (${t.issue ?? 'not created'}): ${t.title} [${state}]</title><rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="4"/><text x="${p.x + 6}" y="${p.y + 16}" class="tid">${t.id} ${t.issue ?? ''}</text><text x="${p.x + 6}" y="${p.y + 32}">${title}</text></g>`;
  });
  return html`<div class="progress">${d.closed}/${d.total} closed (${d.percent}%)${d.complete ? ', complete' : d.currentWave !== null ? `, wave ${d.currentWave} of ${d.waves}` : ''}</div>
<svg class="graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="dependency graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z"/></marker></defs>${bands}${edges}${nodes}</svg>`;
}
