// The dashboard's HTTP server (node:http): the page, its live stream, a polecat's pane, the JSON
// API, the actions and /metrics, all read through the same status, get and diff code as the CLI.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GtFailure, describeError, fail } from '../errors.js';
import { kindFromWord } from '../model/objects.js';
import type { TownSession } from '../town/session.js';
import type { Town } from '../model/objects.js';
import { sessionName } from '../workers/polecat.js';
import { TownMetrics } from '../metrics/town-metrics.js';
import { objectsView } from '../cli/views/objects.js';
import { diffView } from '../cli/views/diff.js';
import { Access, type ListenAddress } from './access.js';
import { commandsOf, parseAction, previewAction, runAction } from './actions.js';
import { EventTail, lastEvents } from './event-tail.js';
import { LiveTown } from './live.js';
import { renderPage, renderPanePage } from './page.js';
import { PageFeed } from './page-feed.js';
import { openSse } from './sse.js';
import type { GtEvent } from '../store/events.js';

export interface DashboardOptions {
  session: TownSession;
  listen: ListenAddress;
  tokenFile?: string;
  readOnly?: boolean;
  /** The running loop's metrics, when the server runs inside `gt run`. */
  metrics?: TownMetrics;
  /** The bundled gt the actions run. */
  gtBin: string;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

const PANE_LINES = 200;
const PANE_EVERY_MS = 1000;
const MAX_BODY = 64 * 1024;
const FIRST_EVENTS = 50;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_OF: Record<string, number> = { usage: 400, invalidInput: 400, notFound: 404, conflict: 409, notOwner: 403, lockBusy: 423 };

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value, null, 2) + '\n');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'expected content-type application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const access = await Access.create(o.listen, o.tokenFile);
  const session = o.session;
  const metrics = o.metrics ?? new TownMetrics();
  const live = new LiveTown(session);
  live.onEvents((e) => metrics.events(e));
  const feed = new PageFeed(live, { readOnly: !!o.readOnly });
  await live.start();
  let port = o.listen.port;

  const routes: { method: string; path: RegExp; handle: (req: IncomingMessage, res: ServerResponse, m: RegExpExecArray, url: URL) => Promise<void> }[] = [
    {
      method: 'GET',
      path: /^\/$/,
      handle: async (_req, res) => {
        const s = await live.current();
        const { version, list } = feed.at(s);
        const page = renderPage(list, await lastEvents(session.paths.events, FIRST_EVENTS), { csrf: access.csrf, readOnly: !!o.readOnly, version });
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; form-action 'none'",
          'x-content-type-options': 'nosniff',
        });
        res.end(page);
      },
    },
    {
      method: 'GET',
      path: /^\/dashboard\/stream$/,
      handle: async (req, res, _m, url) => {
        await live.current();
        const sse = openSse(req, res);
        const first = feed.since(Number(url.searchParams.get('v') ?? 0));
        if (first === 'reload') sse.send('reload', {});
        else if (first.length) sse.send('patch', { version: feed.version, patches: first });
        sse.onClose(feed.subscribe((version, patches) => sse.send('patch', { version, patches })));
        sse.onClose(live.onEvents((events) => events.forEach((e) => sse.send('gtevent', e, e.seq))));
      },
    },
    {
      method: 'GET',
      path: /^\/pane\/([a-z0-9-]+)\/([a-z0-9-]+)(\/stream)?$/,
      handle: async (req, res, m) => {
        const [rig, polecat, stream] = [m[1]!, m[2]!, m[3]];
        const s = await live.current();
        if (!s.view.rigs.find((r) => r.rig === rig)?.workers.some((w) => w.name === polecat)) throw new HttpError(404, `no polecat ${rig}/${polecat}`);
        if (!stream) {
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
          });
          res.end(renderPanePage(rig, polecat));
          return;
        }
        const sse = openSse(req, res);
        const town = (await session.store.list('Town'))[0]?.manifest as Town | undefined;
        let last: string | undefined;
        const look = async () => {
          const text = await session.services
            .tmux(town)
            .capturePane(sessionName(rig, polecat), { lines: PANE_LINES })
            .catch((err: unknown) => `(no pane: ${err instanceof Error ? err.message : String(err)})`);
          if (text !== last) sse.send('pane', { text });
          last = text;
        };
        await look();
        const timer = setInterval(() => void look(), PANE_EVERY_MS);
        sse.onClose(() => clearInterval(timer));
      },
    },
    {
      method: 'GET',
      path: /^\/favicon\.ico$/,
      handle: (_req, res) => Promise.resolve(void res.writeHead(204).end()),
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/status$/,
      handle: async (_req, res) => {
        await live.refresh();
        sendJson(res, 200, (await live.current()).view);
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/objects(?:\/([A-Za-z]+)(?:\/([a-z0-9-]+))?)?$/,
      handle: async (_req, res, m) => {
        const kind = m[1] ? kindFromWord(m[1]) : undefined;
        if (m[1] && !kind) throw new HttpError(404, `unknown kind "${m[1]}"`);
        const v = await objectsView(session, kind, m[2]);
        sendJson(res, 200, m[2] !== undefined ? v.full[0] : { items: v.full });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/diff$/,
      handle: async (_req, res) => sendJson(res, 200, (await diffView(session, await session.store.list(), [])).json),
    },
    {
      method: 'GET',
      path: /^\/api\/v1\/events$/,
      handle: async (req, res, _m, url) => {
        const raw = url.searchParams.get('since') ?? req.headers['last-event-id'];
        const since = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
        const sse = openSse(req, res);
        let sent = 0;
        const send = (e: GtEvent) => {
          if (e.seq <= sent) return;
          sse.send(undefined, e, e.seq);
          sent = e.seq;
        };
        // Subscribed before the log is read back: what is appended meanwhile waits, then is sent once, in order.
        let held: GtEvent[] | undefined = [];
        sse.onClose(live.onEvents((events) => (held ? held.push(...events) : events.forEach(send))));
        if (since !== undefined) for (const e of await new EventTail(session.paths.events).read()) if (e.seq > since) send(e);
        const waiting = held;
        held = undefined;
        waiting.forEach(send);
      },
    },
    {
      method: 'GET',
      path: /^\/metrics$/,
      handle: async (_req, res) => {
        await live.refresh();
        const s = await live.current();
        metrics.observeStatus(s.view, s.conditions);
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      },
    },
    {
      method: 'POST',
      path: /^\/api\/v1\/actions\/(preview|run)$/,
      handle: async (req, res, m) => {
        if (o.readOnly) throw new HttpError(403, 'read-only: this dashboard serves no actions (started with --read-only)');
        if (!access.csrfOk(req)) throw new HttpError(403, 'missing or wrong CSRF token, or another origin');
        const action = parseAction(await readJson(req));
        if (m[1] === 'preview') {
          sendJson(res, 200, { command: (await commandsOf(session, action)).map((c) => `gt ${c.join(' ')}`), diff: await previewAction(session, action) });
          return;
        }
        const result = await runAction(session, action, o.gtBin);
        await live.refresh();
        sendJson(res, result.ok ? 200 : 409, result);
      },
    },
  ];

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!access.hostAllowed(req, port)) throw new HttpError(421, 'unexpected Host header');
      if (!access.tokenOk(req, url)) throw new HttpError(401, 'a token is required (Authorization: Bearer TOKEN, or ?token=TOKEN once in a browser)');
      const cookie = access.tokenCookie(url);
      if (cookie) res.setHeader('set-cookie', cookie);
      const route = routes.find((r) => r.path.test(url.pathname));
      if (!route) throw new HttpError(404, `no such page: ${url.pathname}`);
      if (route.method !== req.method) {
        res.setHeader('allow', route.method);
        throw new HttpError(405, `${req.method} ${url.pathname}: only ${route.method}`);
      }
      await route.handle(req, res, route.path.exec(url.pathname)!, url);
    })().catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof GtFailure ? (STATUS_OF[err.error.kind] ?? 500) : 500;
      const message = err instanceof GtFailure ? describeError(err.error) : err instanceof Error ? err.message : String(err);
      if (res.headersSent) res.end();
      else sendJson(res, status, { error: message });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.listen.port, o.listen.host, () => resolve());
    });
  } catch (err) {
    // Nothing of the dashboard may outlive it (its watches would keep gt running), and the
    // person is told what to change, not shown a stack.
    await live.close();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${o.listen.host}:${o.listen.port}`;
    if (code === 'EADDRINUSE')
      fail({ kind: 'conflict', message: `cannot serve the dashboard on ${where}: the address is in use (another gt dashboard or gt run --listen?); choose another with --listen HOST:PORT` });
    if (code === 'EADDRNOTAVAIL' || code === 'EACCES')
      fail({
        kind: 'usage',
        message: `cannot serve the dashboard on ${where}: ${code === 'EACCES' ? 'permission denied (a port below 1024?)' : 'no such address on this machine'}; choose another with --listen HOST:PORT`,
      });
    throw err;
  }
  port = (server.address() as AddressInfo).port;
  const host = o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await live.close();
    },
  };
}
