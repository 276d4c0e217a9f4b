// The survival measurement's client (the I/O edge; survival-judge.ts decides):
// N long-lived TCP connections to the VIP, each sending "<seq>\n" every
// `interval` ms once its previous message was answered, recording when each
// answer came and which real server sent it (the echo service's "<name>
// <seq>" line), and how the connection ended if it did. Prints "R <n>" once
// every connection is up, then, when its stdin closes (or after maxSeconds),
// one JSON line: { end, conns: ConnRecord[] }. Times are epoch ms.
// Usage: node survival-agent.js VIP PORT CONNECTIONS INTERVAL_MS MAX_SECONDS
import { connect, type Socket } from 'node:net';
import type { ConnRecord, EndKind } from './survival-judge';

const now = () => performance.timeOrigin + performance.now();

export interface AgentOptions {
  host: string;
  port: number;
  connections: number;
  intervalMs: number;
  /** a connection that is not up within this is recorded as ended (error) */
  connectTimeoutMs?: number;
}

/** Start the connections; `ready` resolves when all are up (or failed), `stop` returns the record. */
export function startAgent(o: AgentOptions) {
  const conns: ConnRecord[] = [];
  const sockets: Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  let up = 0;
  const ready = Promise.all(
    Array.from({ length: o.connections }, (_, id) => {
      const c: ConnRecord = { id, start: 0, replies: [], servers: [] };
      conns.push(c);
      return new Promise<void>((resolve) => {
        const s = connect({ host: o.host, port: o.port, noDelay: true });
        sockets.push(s);
        let seq = 0;
        let waiting = false;
        let buf = '';
        const finish = (kind: EndKind, detail?: string) => {
          if (!c.end && !stopped) c.end = { t: now(), kind, ...(detail ? { detail } : {}) };
          resolve();
        };
        const connectTimer = setTimeout(
          () => (finish('error', 'connect timeout'), s.destroy()),
          o.connectTimeoutMs ?? 5000,
        );
        const send = () => {
          if (waiting || s.destroyed) return;
          waiting = true;
          s.write(`${++seq}\n`);
        };
        s.once('connect', () => {
          clearTimeout(connectTimer);
          c.start = now();
          up++;
          send();
          timers.push(setInterval(send, o.intervalMs));
          resolve();
        });
        s.on('data', (d) => {
          buf += d.toString('latin1');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const [name, n] = buf.slice(0, i).split(' ');
            buf = buf.slice(i + 1);
            if (Number(n) !== seq) return finish('error', `answer ${n} to message ${seq}`);
            c.replies.push(now());
            c.servers.push(name);
            waiting = false;
          }
        });
        s.on('error', (e: NodeJS.ErrnoException) =>
          finish(e.code === 'ECONNRESET' ? 'reset' : 'error', e.code ?? e.message),
        );
        s.on('close', () => finish('close'));
      });
    }),
  );
  let stopped = false;
  return {
    ready: ready.then(() => up),
    stop(): { end: number; conns: ConnRecord[] } {
      const end = now();
      stopped = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      return { end, conns };
    },
  };
}

function main() {
  const [host, port, n, interval, maxSeconds] = process.argv.slice(2);
  const agent = startAgent({
    host,
    port: Number(port),
    connections: Number(n ?? 200),
    intervalMs: Number(interval ?? 100),
  });
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify(agent.stop()) + '\n', () => process.exit(0));
  };
  void agent.ready.then((up) => process.stdout.write(`R ${up}\n`));
  process.stdin.on('data', () => {});
  process.stdin.on('end', finish);
  process.stdin.on('close', finish);
  setTimeout(finish, Number(maxSeconds ?? 120) * 1000);
}

if (require.main === module) main();
