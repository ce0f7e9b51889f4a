import type { IncomingMessage, ServerResponse } from 'node:http';

/** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export interface SseStream {
  send(event: string | undefined, data: unknown, id?: number): void;
  onClose(fn: () => void): void;
}

/** A server-sent events response: `send` writes one message; closing the request ends it. */
export function openSse(req: IncomingMessage, res: ServerResponse): SseStream {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  const closers: (() => void)[] = [() => clearInterval(keepalive)];
  req.on('close', () => closers.forEach((fn) => fn()));
  return {
    send(event, data, id) {
      // JSON has no raw newline, so one data line carries one message.
      res.write(`${id !== undefined ? `id: ${id}\n` : ''}${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
}
