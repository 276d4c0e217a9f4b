// The control socket: a root-only unix socket, one JSON request per
// connection (`{"cmd":"status"}`), one JSON answer. Hostile or broken
// clients are bounded (request.ts): a line cap, a client cap, a deadline for
// the request, and a cap on answers queued to a client that does not read.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { EventLog } from './events';
import {
  CONTROL_LIMITS,
  parseRequest,
  RequestLine,
  type ControlLimits,
  type ControlRequest,
} from './request';

export const DEFAULT_CONTROL = '/run/keepalive-ts.sock';

export function serveControl(
  path: string,
  handle: (req: ControlRequest) => Promise<unknown>,
  events?: EventLog,
  limits: ControlLimits = CONTROL_LIMITS,
): Server {
  if (existsSync(path)) unlinkSync(path); // a stale socket of a previous run
  const clients = new Set<Socket>();
  const answer = (c: Socket, body: unknown) => {
    // the answer goes out, then the connection: whatever else the client sends is not read
    if (!c.destroyed) c.end(JSON.stringify(body) + '\n', () => c.destroy());
  };
  const server = createServer((c) => {
    c.on('error', () => {});
    if (clients.size >= limits.maxClients) {
      answer(c, { error: `too many control clients (${limits.maxClients}), try again` });
      return;
    }
    clients.add(c);
    c.on('close', () => clients.delete(c));
    const deadline = setTimeout(
      () => answer(c, { error: `no request within ${limits.requestTimeoutMs} ms` }),
      limits.requestTimeoutMs,
    );
    c.on('close', () => clearTimeout(deadline));
    const line = new RequestLine(limits.maxLineBytes);
    let taken = false;
    c.on('data', (d: Buffer) => {
      if (taken) return; // one request per connection; the rest is ignored
      const f = line.push(d);
      if ('more' in f) return;
      taken = true;
      clearTimeout(deadline);
      const req = 'line' in f ? parseRequest(f.line) : f;
      if ('error' in req) answer(c, { error: req.error });
      else if (req.cmd === 'events' && events) streamEvents(c, req, events, limits);
      else
        handle(req).then(
          (r) => answer(c, r),
          (e: Error) => answer(c, { error: e.message }),
        );
    });
  });
  const old = process.umask(0o177);
  try {
    server.listen(path);
  } finally {
    process.umask(old);
  }
  server.on('listening', () => chmodSync(path, 0o600));
  // closing also ends `events --follow` streams, which would otherwise keep it open
  const close = server.close.bind(server);
  server.close = (cb?: (err?: Error) => void) => {
    for (const c of clients) c.end();
    return close(cb);
  };
  return server;
}

/** JSON lines: the backlog, then (with follow) every new event in order until the client leaves. */
function streamEvents(c: Socket, req: ControlRequest, events: EventLog, limits: ControlLimits) {
  const send = (e: unknown) => {
    // a follower that stopped reading would otherwise grow our memory without bound
    if (c.writableLength > limits.maxQueuedBytes) c.destroy();
    else c.write(JSON.stringify(e) + '\n');
  };
  for (const e of events.since(req.since ?? 0)) send(e);
  if (!req.follow) {
    c.end();
    return;
  }
  const off = events.subscribe(send);
  c.on('close', off);
}

export function requestControl(
  path: string,
  req: { cmd: string; reason?: string },
  timeoutMs = 5000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify(req) + '\n'));
    c.on('data', (d) => (buf += d));
    c.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new Error(`bad answer on ${path}`));
      }
    });
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach keepalive-ts on ${path}: ${e.message}`));
    });
  });
}

/** Stream events as JSON lines to `out` (keepalive-ts events [--follow]). Resolves when the daemon closes. */
export function followEvents(
  path: string,
  follow: boolean,
  out: (line: string) => void,
  since = 0,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify({ cmd: 'events', follow, since }) + '\n'));
    c.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    c.on('end', () => resolve());
    c.on('error', (e) => reject(new Error(`cannot reach keepalive-ts on ${path}: ${e.message}`)));
  });
}
