// The probes themselves: non-blocking TCP connect, HTTP(S) GET (http-probe.ts), a script, a DNS query. Each resolves to ok/not ok with a
// reason; none throws, all are bounded by their timeout.
import { spawn } from 'node:child_process';
import type { ProbeSocketOptions } from '../net/probe-socket';
import { datagramExchange } from './udp-probe';
import { tcpConnect } from './tcp-connect';
export { httpProbe, type HttpTarget } from './http-probe';

export type { ProbeResult } from './status';
import type { ProbeResult } from './status';

/** TCP_CHECK: a connect with the checker's socket options (tcp-connect.ts). */
export function tcpProbe(
  host: string,
  port: number,
  timeoutMs: number,
  socket: ProbeSocketOptions = {},
): Promise<ProbeResult> {
  return tcpConnect(host, port, timeoutMs, socket);
}

/** Run a MISC_CHECK program (argv, no shell) with a timeout, as `as` when given; the exit code decides. */
export function scriptProbe(
  argv: string[],
  timeoutMs: number,
  as?: { uid: number; gid: number },
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const self = as && as.uid === process.getuid?.() && as.gid === process.getgid?.();
    const who = as && !self ? { uid: as.uid, gid: as.gid } : {};
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true, ...who });
    } catch (e) {
      return resolve({ ok: false, reason: (e as Error).message, exitCode: 127 });
    }
    const done = (r: ProbeResult) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    const timer = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      done({ ok: false, reason: `timeout after ${timeoutMs} ms`, exitCode: 124, timedOut: true });
    }, timeoutMs);
    child.on('error', (e) => done({ ok: false, reason: e.message, exitCode: 127 }));
    child.on('exit', (code) =>
      done({ ok: code === 0, exitCode: code ?? 1, ...(code ? { reason: `exit ${code}` } : {}) }),
    );
  });
}

const DNS_TYPES: Record<string, number> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  MX: 15,
  TXT: 16,
  AAAA: 28,
};

/** A DNS query over UDP: ok when the server answers with RCODE 0 and the same id. */
export function dnsProbe(
  host: string,
  port: number,
  name: string,
  type: string,
  timeoutMs: number,
  socket: ProbeSocketOptions = {},
): Promise<ProbeResult> {
  const id = Math.floor(Math.random() * 65536);
  const labels = name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const q = Buffer.concat([
    Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, DNS_TYPES[type] ?? 6, 0, 1]),
  ]);
  return datagramExchange(
    host,
    port,
    socket,
    q,
    timeoutMs,
    (m) => {
      if (m.length < 12 || m.readUInt16BE(0) !== id) return undefined;
      const rcode = m[3] & 0x0f;
      return rcode === 0 ? { ok: true } : { ok: false, reason: `rcode ${rcode}` };
    },
    { ok: false, reason: `timeout after ${timeoutMs} ms` },
  );
}
