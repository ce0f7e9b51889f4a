// The dashboard's one screen and a polecat's pane tail: server-rendered HTML, a stylesheet and
// the small script of client-script.ts. Every text from agents and users goes through html``.
import type { GtEvent } from '../store/events.js';
import { CLIENT_SCRIPT } from './client-script.js';
import { assemble, slot, type Fragment } from './fragments.js';
import { html, Markup } from './html.js';

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
body.offline::before{content:"reconnecting...";position:fixed;top:0;right:0;background:#c33;color:#fff;padding:2px 8px}
header{background:#1d2330;color:#fff;padding:8px 16px}.town-head h1{display:inline;font-size:18px;margin-right:12px}.town-head small{color:#aab}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(260px,1fr);gap:16px;padding:16px}
section.rig,section.swarm,#side>div{background:#fff;border:1px solid #dde;border-radius:6px;padding:8px 12px;margin-bottom:12px}
h2{font-size:16px;margin:4px 0}h3{font-size:14px;margin:8px 0 4px}
table.polecats{border-collapse:collapse;width:100%}table.polecats td,table.polecats th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
td.out code{white-space:pre-wrap;word-break:break-all;font-size:12px;color:#444}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;background:#ddd;color:#222}.badge.stopped{background:#c33;color:#fff}.badge.running,.badge.insync{background:#2a7;color:#fff}.badge.pending{background:#e90}
.cond{font-size:11px;margin-right:4px;padding:0 4px;border-radius:3px;background:#eee}.cond.Ready-True{background:#bfe6cc}.cond.Stalled-True{background:#f3b5b5}.cond.Reconciling-True{background:#fde2a8}
.breaker.open{color:#b00;font-weight:bold}.finding,.warn{color:#b00}.sync.pending{color:#a60}
tr.st-stalled,tr.st-crashLooping{background:#fdecec}tr.st-starting{background:#eef6ff}
#escalations{list-style:none;margin:0;padding:0}.esc{background:#fff4d6;border:1px solid #e9c46a;border-radius:6px;padding:6px 10px;margin:8px 16px 0}.esc .from{font-weight:bold}
svg.graph text{font:11px monospace;fill:#222}svg.graph .wave rect{fill:#f2f3f5}svg.graph .wave.current rect{fill:#fff3c4;stroke:#e0b000}
svg.graph .task rect{stroke:#667;fill:#eee}svg.graph .st-closed rect{fill:#a8dcb5}svg.graph .st-in_progress rect{fill:#9cc8f5}svg.graph .st-ready rect{fill:#fff;stroke:#2a7;stroke-width:2}
svg.graph .st-blocked rect{fill:#ddd;stroke-dasharray:3}svg.graph .st-merging rect{fill:#d8c4f2}svg.graph .edge{stroke:#889;stroke-width:1.3}
#events{list-style:none;padding:0;margin:0;font:12px monospace;max-height:60vh;overflow:auto}#events li{border-bottom:1px solid #f0f0f0;padding:2px 0;word-break:break-all}.ev-actionFailed{color:#b00}.ev-intent{color:#999}.ev-finding{color:#a60}.when{color:#888}
pre.tail{max-height:8em;overflow:auto;background:#f4f4f4;font-size:11px;margin:2px 0}
dialog pre{max-height:50vh;overflow:auto;background:#f4f4f4;padding:6px}
`;

export interface PageOptions {
  csrf: string;
  readOnly: boolean;
  version: number;
}

/** The whole page: the containers (slots), filled with the fragments; events newest first. */
export function renderPage(list: readonly Fragment[], events: readonly GtEvent[], o: PageOptions): string {
  const skeleton = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gas Town</title>
<meta name="gt-csrf" content="${o.csrf}"><meta name="viewport" content="width=device-width,initial-scale=1"><style>${new Markup(STYLE)}</style></head>
<body data-version="${o.version}"${o.readOnly ? ' data-read-only="true"' : ''}>
<header>${slot('top')}</header>
<ul id="escalations">${slot('escalations')}</ul>
<main><div id="rigs">${slot('rigs')}<div id="swarms">${slot('swarms')}</div></div>
<aside id="side">${slot('side')}<div><h2>Events</h2><ul id="events">${[...events].reverse().map(eventItem)}</ul></div></aside></main>
<dialog id="confirm"><h3>Confirm</h3><p>gt runs: <code id="confirm-command"></code></p><pre id="confirm-diff"></pre>
<div id="confirm-answer" hidden><label>Reply<br><textarea id="confirm-message" rows="4" cols="60"></textarea></label></div>
<pre id="confirm-result"></pre><button id="confirm-ok">Confirm</button> <button id="confirm-cancel">Close</button></dialog>
<script>${new Markup(CLIENT_SCRIPT)}</script></body></html>`.text;
  return assemble(skeleton, list);
}

function eventItem(e: GtEvent) {
  const text = 'text' in e ? e.text : e.type === 'finding' ? `${e.code}: ${e.message}` : `${e.type}${'change' in e ? ` ${e.change}` : ''}`;
  return html`<li class="ev ev-${e.type}" data-seq="${e.seq}"><span class="when">${e.time.slice(11, 19)}</span><span> ${e.key} ${text}</span></li>`;
}

/** A polecat's live pane: the text is set with textContent from the stream, never parsed as HTML. */
export function renderPanePage(rig: string, polecat: string): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${rig}/${polecat} pane</title>
<style>body{margin:0;background:#111;color:#ddd}h1{font:14px system-ui;margin:8px}pre{margin:0 8px;font:12px monospace;white-space:pre-wrap}</style></head>
<body><h1>${rig}/${polecat}: live pane</h1><pre id="pane"></pre>
<script>const es=new EventSource(location.pathname+'/stream');es.addEventListener('pane',(m)=>{document.getElementById('pane').textContent=JSON.parse(m.data).text;window.scrollTo(0,document.body.scrollHeight);});</script></body></html>`
    .text;
}
