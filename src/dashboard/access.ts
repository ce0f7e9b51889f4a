// Who may use the dashboard: safe by default. It listens on loopback unless told otherwise; any
// other address needs a token that every request then carries; an action needs a POST carrying
// the page's CSRF token from the server's own origin.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { fail } from '../errors.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:7070`, `[::1]:7070`, `0.0.0.0:80`; port 0 picks a free one. */
export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || port > 65535) fail({ kind: 'usage', message: `--listen ${value}: expected HOST:PORT, e.g. 127.0.0.1:7070` });
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** The token of `--token-file`: its first line, at least 16 characters. */
export async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    fail({ kind: 'usage', message: `--token-file ${file}: ${(err as Error).message}` });
  }
  const token = text.split('\n')[0]!.trim();
  if (token.length < 16) fail({ kind: 'usage', message: `--token-file ${file}: the token (its first line) must be at least 16 characters` });
  return token;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const TOKEN_COOKIE = 'gt_token';

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export class Access {
  /** Put in the page; every action must send it back (x-gt-csrf). */
  readonly csrf = randomBytes(24).toString('base64url');

  constructor(
    private readonly address: ListenAddress,
    private readonly token: string | undefined,
  ) {}

  static async create(address: ListenAddress, tokenFile: string | undefined): Promise<Access> {
    if (!isLoopback(address.host) && !tokenFile)
      fail({ kind: 'usage', message: `--listen ${address.host}: an address other than loopback needs --token-file (every request must then carry the token)` });
    return new Access(address, tokenFile ? await readToken(tokenFile) : undefined);
  }

  /**
   * The Host a loopback server answers to (a page elsewhere that rebinds its own name to
   * 127.0.0.1 is refused); any Host when a token guards the server.
   */
  hostAllowed(req: IncomingMessage, port: number): boolean {
    if (this.token) return true;
    const host = req.headers.host ?? '';
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${this.address.host}:${port}`].includes(host);
  }

  /** The token from the Authorization header, the cookie, or `?token=` (a browser's first visit). */
  tokenOk(req: IncomingMessage, url: URL): boolean {
    if (!this.token) return true;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (cookie(req, TOKEN_COOKIE) ?? url.searchParams.get('token') ?? '');
    return same(given, this.token);
  }

  /** A cookie for the token given as `?token=`, so the page's own requests carry it. */
  tokenCookie(url: URL): string | undefined {
    const t = url.searchParams.get('token');
    return this.token && t && same(t, this.token) ? `${TOKEN_COOKIE}=${encodeURIComponent(t)}; HttpOnly; SameSite=Strict; Path=/` : undefined;
  }

  /** An action: the CSRF token, and when the browser names an Origin, this server's own. */
  csrfOk(req: IncomingMessage): boolean {
    const given = req.headers['x-gt-csrf'];
    if (typeof given !== 'string' || !same(given, this.csrf)) return false;
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host ?? ''}`;
  }
}
