// The dashboard as a list of keyed fragments, each rendered on the server with every text escaped.
// A change patches only the fragments whose markup changed (one polecat's row, one swarm's graph):
// the page stays usable at hundreds of polecats.
import type { LiveState } from './live.js';
import type { RigView, SwarmView, WorkerView, EscalationView } from '../cli/views/status.js';
import type { SessionDetail } from '../sessions/detail.js';
import type { Condition } from '../engine/status.js';
import { html, type Markup } from './html.js';
import { swarmGraph } from './swarm-graph.js';
import type { MergeAttempts } from '../refinery/attempts.js';

/** One piece of the page: the element `id`, placed at the slot `parent` (a marker comment) when it is new. */
export interface Fragment {
  id: string;
  parent: string;
  html: string;
}

export interface RenderOptions {
  readOnly: boolean;
}

/** The place a container's children go: new ones are inserted before it. */
export function slot(id: string): Markup {
  return html`<!--/${id}-->`;
}

/** An action button; the page's script asks the server for its diff before anything is done. */
function action(o: RenderOptions, verb: string, label: string, data: Record<string, string>): Markup | '' {
  if (o.readOnly) return '';
  const attrs = Object.entries(data).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<button class="act" data-verb="${verb}"${attrs}>${label}</button>`;
}

/** <time data-since>: the page's script counts it up every second, so the markup stays the same. */
function since(iso: string | undefined): Markup | '' {
  return iso ? html`<time data-since="${iso}"></time>` : '';
}

function conditionBadges(conditions: Condition[] | undefined): Markup[] {
  return (conditions ?? []).map((c) => html`<span class="cond ${c.type}-${c.status}" title="${c.reason}: ${c.message}">${c.type}=${c.status}</span>`);
}

function stateClass(state: string): string {
  return state.replace(/ .*/, '');
}

export function townHead(s: LiveState, o: RenderOptions): Fragment {
  const v = s.view;
  const town = v.town;
  const loop = v.loop ? html`loop pid ${v.loop.pid}, ${since(v.loop.since)}` : html`<span class="warn">no loop running</span>`;
  return {
    id: 'town-head',
    parent: 'top',
    html: html`<div id="town-head" class="town-head"><h1>Gas Town <small>${town}</small></h1>
<span class="badge ${v.stopped ? 'stopped' : 'running'}">${v.stopped ? 'stopped' : 'running'}</span>
<span class="badge ${v.inSync ? 'insync' : 'pending'}">${v.inSync ? 'in sync' : 'changes pending'}</span> <span>${loop}</span>
${v.stopped ? action(o, 'start', 'Start town', {}) : action(o, 'stop', 'Stop town', {})}</div>`.text,
  };
}

function escalation(e: EscalationView, o: RenderOptions): Fragment {
  return {
    id: `esc-${e.id}`,
    parent: 'escalations',
    html: html`<li id="esc-${e.id}" class="esc prio-${e.priority}"><span class="from">${e.from}</span> <span class="subject">${e.subject}</span> ${since(e.at)} ${action(o, 'answer', 'Answer', { id: e.id })}</li>`
      .text,
  };
}

function agents(list: SessionDetail[]): Fragment {
  return {
    id: 'agents',
    parent: 'side',
    html: html`<div id="agents"><h2>Agent sessions</h2><ul>${list.map((a) => html`<li class="agent st-${a.state}"><b>${a.name}</b> ${a.state}${a.restarts ? html` <span class="warn">${a.restarts} restarts</span>` : ''}${a.drifted ? ' (spec changed)' : ''}</li>`)}</ul></div>`
      .text,
  };
}

function rigShell(r: RigView): Fragment {
  const id = `rig-${r.rig}`;
  return {
    id,
    parent: 'rigs',
    html: html`<section id="${id}" class="rig" data-rig="${r.rig}">${slot(`${id}-head`)}
<table class="polecats"><thead><tr><th>polecat</th><th>issue</th><th>state</th><th>on issue</th><th>last output</th><th></th></tr></thead><tbody>${slot(`${id}-polecats`)}</tbody></table>
${slot(`${id}-ready`)}${slot(`${id}-mq`)}</section>`.text,
  };
}

function rigHead(r: RigView, conditions: Condition[] | undefined, o: RenderOptions): Fragment {
  const id = `rig-${r.rig}-head`;
  return {
    id,
    parent: id,
    html: html`<div id="${id}" class="rig-head"><h2>Rig ${r.rig}${r.suspended ? html` <span class="badge stopped">suspended</span>` : ''}</h2>
<div class="sync ${r.inSync ? 'insync' : 'pending'}">${r.reason}</div>
<div class="conds">${conditionBadges(conditions)}</div>
<div>workers ${r.workers.length}/${r.max}</div>
${r.breaker ? html`<div class="breaker open">breaker OPEN ${since(r.breaker.openedAt)}: ${r.breaker.reason} ${action(o, 'reset-breaker', 'Reset breaker', { rig: r.rig })}</div>` : html`<div class="breaker closed">breaker closed</div>`}
${r.findings.map((f) => html`<div class="finding">! ${f.code}: ${f.message}</div>`)}
<div class="rig-actions">${r.suspended ? action(o, 'start', 'Start rig', { rig: r.rig }) : action(o, 'stop', 'Stop rig', { rig: r.rig })}</div></div>`.text,
  };
}

function polecatRow(rig: string, w: WorkerView, o: RenderOptions): Fragment {
  const id = `pc-${rig}-${w.name}`;
  const tags = [w.nudges ? `nudged ${w.nudges}x` : '', w.restarts ? `${w.restarts} restarts` : ''].filter(Boolean).join(', ');
  return {
    id,
    parent: `rig-${rig}-polecats`,
    html: html`<tr id="${id}" class="polecat st-${stateClass(w.state)}" data-polecat="${w.name}"><td>${w.name}</td><td class="issue">${w.issue}</td><td class="state">${w.state}${tags ? html` <small>(${tags})</small>` : ''}</td><td>${since(w.since)}</td><td class="out"><code>${w.lastOutput}</code></td><td><a href="/pane/${rig}/${w.name}" target="_blank">pane</a> ${action(o, 'land', 'Land', { rig, polecat: w.name })}</td></tr>`
      .text,
  };
}

function readyQueue(r: RigView): Fragment {
  const id = `rig-${r.rig}-ready`;
  return {
    id,
    parent: id,
    html: html`<div id="${id}" class="ready"><h3>Ready queue (${r.readyIssues.length})</h3><ol>${r.readyIssues.map((i) => html`<li><span class="issue">${i.id}</span> P${i.priority} <span class="title">${i.title}</span>${i.assignee ? html` <small>claimed by ${i.assignee}</small>` : ''}</li>`)}</ol></div>`
      .text,
  };
}

function mergeQueue(r: RigView, rejections: MergeAttempts[], o: RenderOptions): Fragment {
  const id = `rig-${r.rig}-mq`;
  const q = r.mergeQueue;
  return {
    id,
    parent: id,
    html: html`<div id="${id}" class="mq"><h3>Merge queue</h3>
${q.merging ? html`<div class="merging">merging ${q.merging.issueId} (${q.merging.phase})</div>${q.merging.testOutput ? html`<pre class="tail test-output">${q.merging.testOutput}</pre>` : ''}` : html`<div>nothing merging</div>`}
<ol>${q.queued.map((x) => html`<li>${x.issue} <small>${x.branch}</small></li>`)}</ol>
${q.sentBack.map((f) => html`<div class="sent-back">sent back ${f.issue}: ${f.failure ?? ''}</div>`)}
${rejections.map((a) => html`<div class="rejected"><b>${a.issueId}</b> rejected ${a.rejections.length}x${a.blockedAt ? ' (blocked)' : ''}: ${a.rejections[a.rejections.length - 1]?.reason ?? ''} ${action(o, 'retry', 'Retry', { rig: r.rig, issue: a.issueId })}<pre class="tail">${a.lastDetail}</pre></div>`)}</div>`
      .text,
  };
}

function swarm(s: SwarmView): Fragment {
  const id = `swarm-${s.swarm}`;
  return {
    id,
    parent: 'swarms',
    html: html`<section id="${id}" class="swarm"><h2>Swarm ${s.swarm} <small>rig ${s.rig}</small></h2>${s.progress ? swarmGraph(s.progress) : html`<p>not reconciled yet</p>`}${s.findings.map((f) => html`<div class="finding">! ${f.code}: ${f.message}</div>`)}</section>`
      .text,
  };
}

/** Every fragment, parents before their children, in page order. */
export function fragments(s: LiveState, o: RenderOptions): Fragment[] {
  const out: Fragment[] = [townHead(s, o), ...s.view.escalations.map((e) => escalation(e, o)), agents(s.view.agents)];
  for (const r of s.view.rigs) {
    out.push(rigShell(r), rigHead(r, s.conditions[`Rig/${r.rig}`], o));
    for (const w of r.workers) out.push(polecatRow(r.rig, w, o));
    out.push(readyQueue(r), mergeQueue(r, s.rejections[r.rig] ?? [], o));
  }
  for (const sw of s.view.swarms) out.push(swarm(sw));
  return out;
}

/** What turns the page showing `before` into one showing `after`: changed or new fragments, then removals. */
export type Patch = Fragment | { id: string; remove: true };

export function patches(before: ReadonlyMap<string, Fragment>, after: readonly Fragment[]): Patch[] {
  const out: Patch[] = after.filter((f) => before.get(f.id)?.html !== f.html);
  const ids = new Set(after.map((f) => f.id));
  for (const id of before.keys()) if (!ids.has(id)) out.push({ id, remove: true });
  return out;
}

/** The page's containers filled with the fragments: each is inserted at its parent's slot. */
export function assemble(skeleton: string, list: readonly Fragment[]): string {
  let page = skeleton;
  for (const f of list) {
    const marker = `<!--/${f.parent}-->`;
    const at = page.indexOf(marker);
    if (at >= 0) page = page.slice(0, at) + f.html + page.slice(at);
  }
  return page;
}
