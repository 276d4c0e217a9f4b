// Hostile clients for the control socket and the metrics endpoint, run
// inside the test's namespace by edge-attacks.test.ts (`ip netns exec NS node
// edge-attacker.js MODE HOST PORT`, or `control SOCKET`), in a process of
// their own: writes to a socket the daemon closed are this process's EPIPE.
// Every attack is bounded in clients and time; the result is one JSON line
// on stdout.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

const [mode, host, portText] = process.argv.slice(2);
const port = Number(portText);
const now = () => performance.now();

/** `n` clients that send a header byte every 500 ms and never finish: when does the server drop them? */
async function slowloris(n: number, maxMs: number) {
  const t0 = now();
  const open = new Set<Socket>();
  const closedAt: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, host);
    open.add(s);
    s.on('connect', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'));
    s.on('error', () => {});
    s.on('close', () => {
      open.delete(s);
      closedAt.push(now() - t0);
    });
  }
  const drip = setInterval(() => {
    for (const s of open) if (s.writable) s.write('X');
  }, 500);
  while (open.size && now() - t0 < maxMs) await new Promise((r) => setTimeout(r, 50));
  clearInterval(drip);
  const left = open.size;
  for (const s of open) s.destroy();
  closedAt.sort((a, b) => a - b);
  return { clients: n, stillOpen: left, lastClosedMs: Math.round(closedAt.at(-1) ?? 0) };
}

function get(headers: Record<string, string> = {}, timeoutMs = 5000) {
  return new Promise<number>((resolve) => {
    const req = request({ host, port, path: '/metrics', headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(-1));
    req.end();
  });
}

/** requests with headers of `bytes`: their status codes */
async function hugeHeaders(n: number, bytes: number) {
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push(await get({ 'X-Junk': 'j'.repeat(bytes) }));
  return { requests: n, codes: [...new Set(codes)] };
}

/** `n` clients scraping in a loop for `ms`: how many scrapes got 200, how many failed */
async function manyConnections(n: number, ms: number) {
  const end = now() + ms;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (now() < end) {
        if ((await get({ Connection: 'close' }, 3000)) === 200) ok++;
        else failed++;
      }
    }),
  );
  return { clients: n, ok, failed };
}

/**
 * 300 silent clients, 20 megabyte lines and 50 lines of garbage at once:
 * how many of each did the daemon close before the client gave up? (An
 * answer may be lost to the client's own EPIPE, so closes are what count.)
 */
async function controlFlood(sock: string) {
  const hold = (data: Buffer | undefined, ms: number) =>
    new Promise<boolean>((resolve) => {
      const c = connect(sock);
      let gaveUp = false;
      const timer = setTimeout(() => {
        gaveUp = true;
        c.destroy();
      }, ms);
      if (data) c.on('connect', () => c.write(data));
      c.resume(); // read the answer, so the daemon's close is seen
      c.on('error', () => {});
      c.on('close', () => {
        clearTimeout(timer);
        resolve(!gaveUp);
      });
    });
  const closed = async (n: number, data: Buffer | undefined, ms: number) =>
    (await Promise.all(Array.from({ length: n }, () => hold(data, ms)))).filter(Boolean).length;
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) & 0xff || 1));
  const [silent, megabyte, garbage] = await Promise.all([
    closed(300, undefined, 1500),
    closed(20, Buffer.alloc(1 << 20, 'x'), 3000),
    closed(50, Buffer.concat([junk, Buffer.from('\n')]), 3000),
  ]);
  return { silentRefused: silent, megabyteClosed: megabyte, garbageClosed: garbage };
}

async function main() {
  if (mode === 'control') return controlFlood(host);
  if (mode === 'slowloris') return slowloris(200, 12_000);
  if (mode === 'headers') return hugeHeaders(20, 64 * 1024);
  if (mode === 'connections') return manyConnections(300, 3000);
  if (mode === 'scrape') return { code: await get() };
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  },
);
