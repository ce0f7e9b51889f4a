// The page's only script: plain JavaScript, served as it is (no build step). It applies the
// server's patches (markup the server built, every text in it escaped), appends events with
// textContent, counts ages up, and asks for an action's diff before the person confirms it.
export const CLIENT_SCRIPT = String.raw`
'use strict';
const csrf = document.querySelector('meta[name="gt-csrf"]')?.content ?? '';
let version = Number(document.body.dataset.version || 0);

function slotOf(name) {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_COMMENT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.data === '/' + name) return n;
  return null;
}

function applyPatch(p) {
  const old = document.getElementById(p.id);
  if (p.remove) { if (old) old.remove(); return; }
  const t = document.createElement('template');
  t.innerHTML = p.html;
  const node = t.content.firstElementChild;
  if (old) { old.replaceWith(node); return; }
  const slot = slotOf(p.parent);
  if (slot) slot.parentNode.insertBefore(node, slot);
}

function ages() {
  const now = Date.now();
  for (const el of document.querySelectorAll('time[data-since]')) {
    const s = Math.max(0, Math.floor((now - Date.parse(el.dataset.since)) / 1000));
    el.textContent = s < 120 ? s + 's' : s < 7200 ? Math.floor(s / 60) + 'm' : Math.floor(s / 3600) + 'h';
  }
}

function addEvent(e) {
  const list = document.getElementById('events');
  const li = document.createElement('li');
  li.className = 'ev ev-' + e.type;
  li.dataset.seq = e.seq;
  const time = document.createElement('span');
  time.className = 'when';
  time.textContent = (e.time || '').slice(11, 19);
  const text = document.createElement('span');
  text.textContent = ' ' + e.key + ' ' + (e.text ?? (e.code ? e.code + ': ' + e.message : e.type + (e.change ? ' ' + e.change : '')));
  li.append(time, text);
  list.prepend(li);
  while (list.children.length > 200) list.lastElementChild.remove();
}

function connect() {
  const es = new EventSource('/dashboard/stream?v=' + version);
  es.addEventListener('patch', (m) => {
    const msg = JSON.parse(m.data);
    for (const p of msg.patches) applyPatch(p);
    version = msg.version;
    document.body.dataset.version = String(version);
    ages();
  });
  es.addEventListener('reload', () => location.reload());
  es.addEventListener('gtevent', (m) => addEvent(JSON.parse(m.data)));
  es.onopen = () => document.body.classList.remove('offline');
  es.onerror = () => document.body.classList.add('offline');
}

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gt-csrf': csrf }, body: JSON.stringify(body), credentials: 'same-origin' });
  const data = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
  if (!r.ok) throw new Error(data.error || 'HTTP ' + r.status);
  return data;
}

const dialog = document.getElementById('confirm');
let pending = null;

function showLines(el, lines) {
  el.textContent = lines.join('\n');
}

async function preview(request) {
  pending = request;
  document.getElementById('confirm-command').textContent = 'loading...';
  document.getElementById('confirm-diff').textContent = '';
  document.getElementById('confirm-result').textContent = '';
  document.getElementById('confirm-answer').hidden = request.verb !== 'answer';
  document.getElementById('confirm-ok').disabled = true;
  dialog.showModal();
  try {
    const p = await post('/api/v1/actions/preview', request);
    document.getElementById('confirm-command').textContent = p.command.join(' ');
    showLines(document.getElementById('confirm-diff'), p.diff);
    document.getElementById('confirm-ok').disabled = false;
  } catch (err) {
    document.getElementById('confirm-result').textContent = String(err.message || err);
  }
}

document.addEventListener('click', (ev) => {
  const b = ev.target.closest('button.act');
  if (!b) return;
  const request = { verb: b.dataset.verb };
  for (const k of ['rig', 'polecat', 'issue', 'id']) if (b.dataset[k]) request[k] = b.dataset[k];
  void preview(request);
});

document.getElementById('confirm-ok').addEventListener('click', async (ev) => {
  ev.preventDefault();
  if (!pending) return;
  const request = { ...pending };
  if (request.verb === 'answer') request.message = document.getElementById('confirm-message').value;
  document.getElementById('confirm-ok').disabled = true;
  try {
    const r = await post('/api/v1/actions/run', request);
    document.getElementById('confirm-result').textContent = (r.ok ? 'done: ' : 'failed: ') + (r.output || '');
  } catch (err) {
    document.getElementById('confirm-result').textContent = String(err.message || err);
  }
});
document.getElementById('confirm-cancel').addEventListener('click', (ev) => { ev.preventDefault(); pending = null; dialog.close(); });

ages();
setInterval(ages, 1000);
connect();
`;
