// The control socket: a root-only unix socket, one JSON request per
// connection (`{"cmd":"status"}`), one JSON answer.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';

export const DEFAULT_CONTROL = '/run/keepalive-ts.sock';

export function serveControl(
  path: string,
  handle: (req: { cmd: string }) => Promise<unknown>,
): Server {
  if (existsSync(path)) unlinkSync(path); // a stale socket of a previous run
  const server = createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: { cmd: string };
      try {
        req = JSON.parse(buf.slice(0, nl)) as { cmd: string };
      } catch {
        c.end(JSON.stringify({ error: 'bad request' }) + '\n');
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
