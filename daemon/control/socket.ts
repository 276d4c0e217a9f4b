// The control socket: a root-only unix socket, one JSON request per
// connection (`{"cmd":"status"}`), one JSON answer.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import type { EventLog } from './events';

export const DEFAULT_CONTROL = '/run/keepalive-ts.sock';

export function serveControl(
  path: string,
  handle: (req: { cmd: string }) => Promise<unknown>,
  events?: EventLog,
): Server {
  if (existsSync(path)) unlinkSync(path); // a stale socket of a previous run
  const clients = new Set<import('node:net').Socket>();
  const server = createServer((c) => {
    clients.add(c);
    c.on('close', () => clients.delete(c));
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: { cmd: string; follow?: boolean; since?: number };
      try {
        req = JSON.parse(buf.slice(0, nl)) as typeof req;
      } catch {
        c.end(JSON.stringify({ error: 'bad request' }) + '\n');
        return;
      }
      if (req.cmd === 'events' && events) {
        // JSON lines: the backlog, then (with follow) every new event in order until the client leaves
        for (const e of events.since(req.since ?? 0)) c.write(JSON.stringify(e) + '\n');
        if (!req.follow) {
          c.end();
          return;
        }
        const off = events.subscribe((e) => c.write(JSON.stringify(e) + '\n'));
        c.on('close', off);
        return;
      }
      handle(req).then(
        (r) => c.end(JSON.stringify(r) + '\n'),
        (e: Error) => c.end(JSON.stringify({ error: e.message }) + '\n'),
      );
    });
    c.on('error', () => {});
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

export function requestControl(
  path: string,
  req: { cmd: string },
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
