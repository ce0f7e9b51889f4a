import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gt } from '../support/town.js';
import { startTown, townManifest, type DashTown } from './town.js';
import { objectJson, parseJson } from '../support/json.js';

// The JSON API, the events stream, /metrics and the safety rules, against `gt dashboard` for a
// real town whose rig is suspended (no agent runs; nothing here needs one).

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (fetch would add an Origin of its own). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The first `n` messages of a server-sent events stream, parsed. */
function sseMessages(url: string, n: number, onOpen?: () => void): Promise<{ id?: string; data: unknown }[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      onOpen?.();
      let buf = '';
      const out: { id?: string; data: unknown }[] = [];
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data === undefined) continue;
          out.push({ id: /^id: (.*)$/m.exec(block)?.[1], data: JSON.parse(data) });
          if (out.length === n) {
            req.destroy();
            resolve(out);
          }
        }
      });
    });
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
  });
}

function csrfOf(page: string): string {
  return /<meta name="gt-csrf" content="([^"]+)">/.exec(page)![1]!;
}

describe('gt dashboard: the API, the events stream and /metrics', () => {
  let town: DashTown;
  let url: string;

  beforeAll(async () => {
    town = await startTown(townManifest(100, '  suspend: true\n'), ['dashboard', '--listen', '127.0.0.1:0']);
    url = town.url;
  }, 60_000);
  afterAll(async () => town?.stop());

  it('serves gt status, gt get and gt diff -o json as they print them', async () => {
    const status = parseJson<unknown>((await request(`${url}api/v1/status`)).body);
    const cli = parseJson<unknown>((await town.gt(['status', '-o', 'json'])).stdout);
    expect(status).toEqual(cli);
    expect(JSON.parse((await request(`${url}api/v1/objects/rig/wyvern`)).body)).toEqual(JSON.parse((await town.gt(['get', 'rig', 'wyvern', '-o', 'json'])).stdout));
    expect(JSON.parse((await request(`${url}api/v1/objects`)).body)).toEqual(JSON.parse((await town.gt(['get', '-o', 'json'])).stdout));
    expect(parseJson<{ items: { metadata: { name: string } }[] }>((await request(`${url}api/v1/objects/rigs`)).body).items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual([
      'wyvern',
    ]);
    expect(JSON.parse((await request(`${url}api/v1/diff`)).body)).toEqual(JSON.parse((await town.gt(['diff', '-o', 'json'])).stdout));
    const missing = await request(`${url}api/v1/objects/rig/nope`);
    expect(missing.status).toBe(404);
    expect(parseJson<{ error: string }>(missing.body).error).toContain('Rig "nope" not found');
  });

  it('streams the events log: the past from ?since=, then each append as it happens', async () => {
    const past = await sseMessages(`${url}api/v1/events?since=0`, 2);
    expect(past.map((m) => (m.data as { seq: number }).seq)).toEqual([1, 2]);
    expect(past[0]!.id).toBe('1');
    const next = sseMessages(`${url}api/v1/events`, 1, () => void town.gt(['start', 'wyvern', '--no-reconcile']));
    const [applied] = await next;
    expect(applied!.data).toMatchObject({ type: 'applied', key: 'Rig/wyvern', change: 'configured' });
    await town.gt(['stop', 'wyvern', '--no-reconcile']);
  });

  it('shows every metric at /metrics, the gauges read from the same status', async () => {
    const r = await request(`${url}metrics`);
    expect(r.status).toBe(200);
    for (const name of [
      'gt_reconciles_total',
      'gt_reconcile_duration_seconds',
      'gt_workqueue_depth',
      'gt_workqueue_retries_total',
      'gt_polecats',
      'gt_polecat_spawns_total',
      'gt_session_crashes_total',
      'gt_breaker_open',
      'gt_merges_total',
      'gt_merge_duration_seconds',
      'gt_escalations_total',
      'gt_escalations_unread',
      'gt_condition',
      'gt_agent_sessions',
    ]) {
      expect(r.body).toContain(`# TYPE ${name} `);
    }
    expect(r.body).toContain('gt_breaker_open{rig="wyvern"} 0');
    expect(r.body).toContain('gt_condition{kind="Rig",name="wyvern",type="Ready"}');
    expect(r.body).toContain('gt_merges_total{rig="wyvern",outcome="merged"} 0');
  });

  it('acts only on a POST with the page CSRF token from its own origin, after a preview that changes nothing', async () => {
    const page = (await request(url)).body;
    const csrf = csrfOf(page);
    const body = JSON.stringify({ verb: 'start', rig: 'wyvern' });
    const json = { 'content-type': 'application/json' };
    const origin = url.replace(/\/$/, '');
    expect((await request(`${url}api/v1/actions/run`, { method: 'POST', headers: json, body })).status).toBe(403);
    expect((await request(`${url}api/v1/actions/run`, { method: 'POST', headers: { ...json, 'x-gt-csrf': 'wrong' }, body })).status).toBe(403);
    expect((await request(`${url}api/v1/actions/run`, { method: 'POST', headers: { ...json, 'x-gt-csrf': csrf, origin: 'http://evil.example' }, body })).status).toBe(403);
    expect((await request(`${url}api/v1/actions/run`)).status).toBe(405);
    expect((await request(`${url}api/v1/actions/run`, { method: 'POST', headers: { ...json, 'x-gt-csrf': csrf, origin }, body: JSON.stringify({ verb: 'rm -rf /' }) })).status).toBe(400);
    expect(objectJson((await town.gt(['get', 'rig', 'wyvern', '-o', 'json'])).stdout).spec.suspend).toBe(true);

    const preview = await request(`${url}api/v1/actions/preview`, { method: 'POST', headers: { ...json, 'x-gt-csrf': csrf, origin }, body });
    expect(preview.status, preview.body).toBe(200);
    expect(JSON.parse(preview.body)).toMatchObject({ command: ['gt start -o json -- wyvern'] });
    expect(parseJson<{ diff: string[] }>(preview.body).diff.join('\n')).toContain('spec.suspend: true -> false');
    expect(objectJson((await town.gt(['get', 'rig', 'wyvern', '-o', 'json'])).stdout).spec.suspend).toBe(true);
  });

  it('answers only to its own Host (no DNS rebinding), and refuses another address without a token', async () => {
    expect((await request(url, { headers: { host: 'evil.example' } })).status).toBe(421);
    const r = await gt(['dashboard', '--listen', '0.0.0.0:0', '--town', town.root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('needs --token-file');
  });

  it('an address in use is said plainly and gt exits (it once hung behind an internal error)', async () => {
    const busy = new URL(url);
    const r = await gt(['dashboard', '--listen', `127.0.0.1:${busy.port}`, '--town', town.root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot serve the dashboard on 127.0.0.1:${busy.port}: the address is in use`);
    expect(r.stderr).not.toContain('internal error');
  });

  it('with --token-file every request needs the token; a browser gives it once as ?token= and keeps a cookie', async () => {
    const file = path.join(town.dir, 'token');
    await writeFile(file, 'a-long-enough-secret-token\n');
    const s = await town.serve(['dashboard', '--listen', '127.0.0.1:0', '--token-file', file]);
    expect((await request(`${s.url}api/v1/status`)).status).toBe(401);
    expect((await request(`${s.url}api/v1/status`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    expect((await request(`${s.url}api/v1/status`, { headers: { authorization: 'Bearer a-long-enough-secret-token' } })).status).toBe(200);
    const first = await request(`${s.url}?token=a-long-enough-secret-token`);
    expect(first.status).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toBe('gt_token=a-long-enough-secret-token');
    expect((await request(`${s.url}metrics`, { headers: { cookie } })).status).toBe(200);
    await s.stop();
  });

  it('--read-only serves the page without action buttons and refuses every action', async () => {
    const s = await town.serve(['dashboard', '--listen', '127.0.0.1:0', '--read-only']);
    const page = (await request(s.url)).body;
    expect(page).toContain('id="rig-wyvern"');
    expect(page).not.toContain('class="act"');
    const r = await request(`${s.url}api/v1/actions/preview`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gt-csrf': csrfOf(page) }, body: JSON.stringify({ verb: 'start' }) });
    expect(r.status).toBe(403);
    expect(parseJson<{ error: string }>(r.body).error).toContain('read-only');
    await s.stop();
  });
});
