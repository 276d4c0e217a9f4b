// The health checkers' sockets (keepalived 2.2.7 core/layer4.c
// socket_bind_connect / udp_bind_connect): made natively, because Node's
// net and dgram cannot set SO_MARK or SO_BINDTODEVICE. In keepalived's order:
// SO_MARK (fwmark), SO_BINDTODEVICE (bind_if), bind (bindto, bind_port),
// then a non-blocking connect. A connected stream is handed to Node as a
// net.Socket (libuv takes the fd over) for protocols that talk (HTTP, SMTP);
// datagrams (UDP_CHECK, DNS_CHECK) stay native. Every checker uses this.
import * as net from 'node:net';
import { constants } from 'node:os';
import { familyOf } from '../core/address';
import {
  AF_INET,
  AF_INET6,
  int32,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  native,
  SO_BINDTODEVICE,
  SOCK_DGRAM,
  SOCK_STREAM,
  sockaddrIn,
  sockaddrIn6,
  SOL_SOCKET,
  type NativeSock,
} from './native';

export const SO_MARK = 36;
export const IP_RECVERR = 11;
export const IPV6_RECVERR = 25;

/** A checker's connection options (keepalived's conn_opts_t, without the target). */
export interface ProbeSocketOptions {
  /** source address (bindto) */
  bindto?: string;
  /** source port (bind_port) */
  bindPort?: number;
  /** SO_BINDTODEVICE (bind_if); also the scope of an IPv6 link-local target */
  bindIf?: string;
  /** SO_MARK (fwmark) */
  fwmark?: number;
}

export interface SockOpt {
  level: number;
  name: number;
  value: Buffer;
  what: string;
}

/** The setsockopt calls for `o`, in keepalived's order (pure). */
export function probeSockOpts(o: ProbeSocketOptions): SockOpt[] {
  const out: SockOpt[] = [];
  if (o.fwmark)
    out.push({
      level: SOL_SOCKET,
      name: SO_MARK,
      value: int32(o.fwmark | 0),
      what: `fwmark ${o.fwmark}`,
    });
  if (o.bindIf)
    out.push({
      level: SOL_SOCKET,
      name: SO_BINDTODEVICE,
      value: Buffer.from(`${o.bindIf}\0`),
      what: `bind_if ${o.bindIf}`,
    });
  return out;
}

/** Where to bind(), when bindto or bind_port asks for it (pure; ifindex for link-local scope). */
export function bindSockaddr(
  family: 4 | 6,
  o: ProbeSocketOptions,
  ifindex = 0,
): Buffer | undefined {
  if (!o.bindto && !o.bindPort) return undefined;
  const port = o.bindPort ?? 0;
  return family === 4
    ? sockaddrIn(o.bindto ?? '0.0.0.0', port)
    : sockaddrIn6(o.bindto ?? '::', isLinkLocal(o.bindto) ? ifindex : 0, port);
}

const isLinkLocal = (ip?: string) => !!ip && /^fe[89ab][0-9a-f]:/i.test(ip);

/** The target's socket address; an IPv6 link-local one is scoped to bind_if. */
export function targetSockaddr(host: string, port: number, ifindex = 0): Buffer {
  return familyOf(host) === 4
    ? sockaddrIn(host, port)
    : sockaddrIn6(host, isLinkLocal(host) ? ifindex : 0, port);
}

export const errnoName = (e: number) =>
  Object.entries(constants.errno).find(([, v]) => v === e)?.[0] ?? `errno ${e}`;

/**
 * socket(), the options of `o` and bind(): the fd, or an Error whose message
 * names the step that failed (the socket is closed then).
 */
export function openProbeSocket(
  family: 4 | 6,
  type: number,
  protocol: number,
  o: ProbeSocketOptions,
  n: NativeSock = native(),
): number {
  const fd = n.socket(family === 4 ? AF_INET : AF_INET6, type, protocol);
  try {
    for (const s of probeSockOpts(o)) {
      try {
        n.setsockopt(fd, s.level, s.name, s.value);
      } catch (e) {
        throw new Error(`${s.what}: ${(e as Error).message}`);
      }
    }
    const b = bindSockaddr(family, o, o.bindIf ? n.ifindex(o.bindIf) : 0);
    if (b) {
      try {
        n.bind(fd, b);
      } catch (e) {
        throw new Error(
          `bind ${o.bindto ?? (family === 4 ? '0.0.0.0' : '::')}:${o.bindPort ?? 0}: ${(e as Error).message}`,
        );
      }
    }
    return fd;
  } catch (e) {
    n.close(fd);
    throw e;
  }
}

export type Connected = { ok: true; fd: number } | { ok: false; reason: string };

/**
 * A TCP connection to host:port with the options of `o`, within timeoutMs:
 * the connected fd (the caller owns it), or why not.
 */
export function connectStream(
  host: string,
  port: number,
  o: ProbeSocketOptions,
  timeoutMs: number,
  n: NativeSock = native(),
): Promise<Connected> {
  const family = familyOf(host) === 4 ? 4 : 6;
  if (o.bindto && familyOf(o.bindto) !== family)
    return Promise.resolve({ ok: false, reason: `bindto ${o.bindto} is not of ${host}'s family` });
  let fd: number;
  let to: Buffer;
  try {
    fd = openProbeSocket(family, SOCK_STREAM, 0, o, n);
    to = targetSockaddr(host, port, o.bindIf ? n.ifindex(o.bindIf) : 0);
  } catch (e) {
    return Promise.resolve({ ok: false, reason: (e as Error).message });
  }
  const where = family === 4 ? `${host}:${port}` : `[${host}]:${port}`;
  const r = n.connect(fd, to);
  if (r === 0) return Promise.resolve({ ok: true, fd });
  if (r < 0) {
    n.close(fd);
    return Promise.resolve({ ok: false, reason: `connect ${errnoName(-r)} ${where}` });
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (res: Connected) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      n.unwatch(watch);
      if (!res.ok) n.close(fd);
      resolve(res);
    };
    const watch = n.watch(
      fd,
      () => {
        const e = n.soError(fd);
        done(
          e === 0 ? { ok: true, fd } : { ok: false, reason: `connect ${errnoName(e)} ${where}` },
        );
      },
      true,
    );
    const timer = setTimeout(
      () => done({ ok: false, reason: `timeout after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}

/** A connected fd as a net.Socket (libuv owns and closes the fd from now on). */
export function socketOfFd(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: true });
}

/**
 * A connected UDP socket with the options of `o` (keepalived's
 * udp_bind_connect: IP_RECVERR, so that ICMP errors come back on it).
 */
export class ProbeDatagram {
  private readonly n: NativeSock;
  private readonly fd: number;
  private readonly to: Buffer;
  private watch?: unknown;
  private closed = false;

  /** throws an Error naming the step that failed */
  constructor(host: string, port: number, o: ProbeSocketOptions, n: NativeSock = native()) {
    this.n = n;
    const family = familyOf(host) === 4 ? 4 : 6;
    if (o.bindto && familyOf(o.bindto) !== family)
      throw new Error(`bindto ${o.bindto} is not of ${host}'s family`);
    this.fd = openProbeSocket(family, SOCK_DGRAM, IPPROTO_UDP, o, n);
    try {
      if (family === 4) n.setsockopt(this.fd, IPPROTO_IP, IP_RECVERR, int32(1));
      else n.setsockopt(this.fd, IPPROTO_IPV6, IPV6_RECVERR, int32(1));
      this.to = targetSockaddr(host, port, o.bindIf ? n.ifindex(o.bindIf) : 0);
      const r = n.connect(this.fd, this.to);
      if (r < 0) throw new Error(`connect ${errnoName(-r)}`);
    } catch (e) {
      n.close(this.fd);
      throw e;
    }
  }

  /** Hear replies (and errors: ICMP unreachable arrives as ECONNREFUSED, EHOSTUNREACH ...). */
  listen(onMessage: (m: Buffer) => void, onError: (e: Error) => void) {
    const buf = Buffer.alloc(65536);
    this.watch = this.n.watch(this.fd, () => {
      for (let i = 0; i < 16 && !this.closed; i++) {
        let len: number;
        try {
          len = this.n.recv(this.fd, buf, 0);
        } catch (e) {
          const errno = (e as { errno?: number }).errno;
          onError(
            new Error(
              errno ? `${errnoName(errno)} (${(e as Error).message})` : (e as Error).message,
            ),
          );
          return;
        }
        if (len < 0) return;
        onMessage(Buffer.from(buf.subarray(0, len)));
      }
    });
  }

  /** throws on a send error (e.g. an ICMP error already reported) */
  send(data: Buffer) {
    this.n.sendto(this.fd, data, this.to);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.watch) this.n.unwatch(this.watch);
    this.n.close(this.fd);
  }
}
