// The scale benchmark's load (the I/O edge): `concurrency` workers each doing
// HTTP/1.0 GETs to the VIP for `seconds`, a new TCP connection per request (a
// new flow, so the router's ECMP hash spreads them over the directors).
// Prints one JSON line: { ok, failed, seconds, servers: {name: count} }.
// Usage: node load-agent.js VIP PORT CONCURRENCY SECONDS
import { connect } from 'node:net';

export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  /** answers per real server (the page is the server's name) */
  servers: Record<string, number>;
}

/** One GET on a new connection: the server's name, or undefined on failure. */
function get(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port, noDelay: true });
    let body = '';
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    s.once('connect', () => s.write('GET / HTTP/1.0\r\n\r\n'));
    s.on('data', (d) => (body += String(d)));
    s.once('end', () => {
      const m = /^HTTP\/1\.[01] 200 [\s\S]*?\r\n\r\n(\S+)/.exec(body);
      done(m?.[1]);
    });
    s.once('error', () => done(undefined));
  });
}

export async function runLoad(
  host: string,
  port: number,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const r: LoadResult = { ok: 0, failed: 0, seconds, servers: {} };
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const name = await get(host, port, 1000);
      if (name) {
        r.ok++;
        r.servers[name] = (r.servers[name] ?? 0) + 1;
      } else r.failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return r;
}

if (require.main === module) {
  const [host, port, concurrency, seconds] = process.argv.slice(2);
  void runLoad(host, Number(port), Number(concurrency ?? 16), Number(seconds ?? 5)).then((r) =>
    process.stdout.write(JSON.stringify(r) + '\n'),
  );
}
