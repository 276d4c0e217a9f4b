// Loader and typings for the native socket layer (daemon/net/native/sock.c).
import * as path from 'node:path';
import { ipv4ToBytes, ipv6ToBytes } from '../core/address';
import { SEA_ASSETS, seaAsset } from '../core/sea';
import { loadEmbeddedAddon } from './embedded-addon';

export interface NativeSock {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer): void;
  bind(fd: number, sockaddr: Buffer): void;
  /** bytes sent, -1 when the socket buffer is full */
  sendto(fd: number, data: Buffer, sockaddr: Buffer): number;
  /**
   * UDP, and IPv6 raw sockets (no IP header), with what a TTL check needs: bytes
   * read into `into` (-1 when nothing is waiting), and into `meta` (40 bytes) source (16, IPv4 as ::ffff:a.b.c.d) |
   * destination (16, zero unless IP_PKTINFO / IPV6_RECVPKTINFO) | TTL or hop
   * limit (int32 LE, -1 unless IP_RECVTTL / IPV6_RECVHOPLIMIT) | source port (uint16 LE)
   */
  recvMeta(fd: number, into: Buffer, meta: Buffer): number;
  /** bytes read into `into`, -1 when nothing arrived within timeoutMs (0 = do not wait) */
  recv(fd: number, into: Buffer, timeoutMs?: number): number;
  close(fd: number): void;
  ifindex(name: string): number;
  /** calls back whenever fd is readable (writable: when it is writable, e.g. a connect finished) */
  watch(fd: number, onReady: (status: number) => void, writable?: boolean): unknown;
  /** 0 connected, 1 in progress (watch it for writable), -errno failed */
  connect(fd: number, sockaddr: Buffer): number;
  /** the socket's pending error, 0 when none */
  soError(fd: number): number;
  unwatch(handle: unknown): void;
  /** the calling thread's nice value, and SCHED_RR at `rt` when rt > 0 */
  threadPriority(nice: number, rt: number): void;
  /** mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) for the process */
  mlockall(): void;
  /** sched_setaffinity of the calling thread */
  threadAffinity(cpus: number[]): void;
  /** setrlimit(RLIMIT_RTTIME), microseconds (process-wide) */
  rlimitRttime(soft: number, hard: number): void;
  /** the calling thread's id */
  gettid(): number;
}

let cached: NativeSock | undefined;

/** The addon, built by `npm run build` into dist/native/sock.node. */
export function native(): NativeSock {
  if (!cached) {
    // inside the single executable the addon is an asset (one copy per thread)
    const embedded = seaAsset(SEA_ASSETS.nativeAddon);
    if (embedded) {
      try {
        return (cached = loadEmbeddedAddon<NativeSock>(embedded));
      } catch (e) {
        throw new Error(`keepalive-ts: ${(e as Error).message}`);
      }
    }
    const file = path.resolve(__dirname, '../../native/sock.node');
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require(file) as NativeSock;
    } catch (e) {
      throw new Error(
        `keepalive-ts: cannot load the native socket layer ${file} (run npm run build): ${(e as Error).message}`,
      );
    }
  }
  return cached;
}

// Linux constants (x86_64 and aarch64 agree on these)
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_UDP = 17;
export const SOL_SOCKET = 1;
export const SO_BINDTODEVICE = 25;
export const SO_RCVBUF = 8;
/** SO_RCVBUF beyond net.core.rmem_max (CAP_NET_ADMIN) */
export const SO_RCVBUFFORCE = 33;
export const IPPROTO_IP = 0;
export const IP_TOS = 1;
export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IP_RECVTTL = 12;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IPPROTO_IPV6 = 41;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_V6ONLY = 26;
export const IPV6_RECVPKTINFO = 49;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_TCLASS = 67;
export const NETLINK_ROUTE = 0;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;

export const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};

/** A configured receive buffer (keepalived's *_rcv_bufs / *_rcv_bufs_force). */
export interface RcvBuf {
  bytes: number;
  force: boolean;
}

/** the setsockopt(SOL_SOCKET, ...) that sets `b`: option name and value bytes */
export function rcvbufOption(b: RcvBuf): { name: number; value: Buffer } {
  return {
    name: b.force ? SO_RCVBUFFORCE : SO_RCVBUF,
    value: int32(Math.min(b.bytes, 0x7fffffff)),
  };
}

/**
 * Set a socket's receive buffer. A refused SO_RCVBUFFORCE (no CAP_NET_ADMIN)
 * falls back to SO_RCVBUF; the error is returned so that it can be logged.
 */
export function setRcvBuf(n: NativeSock, fd: number, b: RcvBuf): string | undefined {
  const o = rcvbufOption(b);
  try {
    n.setsockopt(fd, SOL_SOCKET, o.name, o.value);
    return undefined;
  } catch (e) {
    if (b.force) n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, o.value);
    return (e as Error).message;
  }
}

/** struct sockaddr_in (family in host order, port and address in network order) */
export function sockaddrIn(ip: string, port = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  ipv4ToBytes(ip, b, 4);
  return b;
}

/** struct sockaddr_in6 (a link-local address needs the interface as scope) */
export function sockaddrIn6(ip: string, scopeId = 0, port = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  ipv6ToBytes(ip, b, 8);
  b.writeUInt32LE(scopeId, 24);
  return b;
}

/** struct ipv6_mreq { multiaddr, ifindex } */
export function ipv6Mreq(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  ipv6ToBytes(group, b, 0);
  b.writeInt32LE(ifindex, 16);
  return b;
}

/** struct ip_mreqn { multiaddr, address, ifindex } */
export function ipMreqn(group: string, address: string, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  group.split('.').forEach((o, i) => (b[i] = Number(o)));
  address.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  b.writeInt32LE(ifindex, 8);
  return b;
}

/** struct sockaddr_ll for sending a frame out of `ifindex` */
export function sockaddrLl(ifindex: number, protocol: number, mac: Uint8Array): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16LE(AF_PACKET, 0);
  b.writeUInt16BE(protocol, 2);
  b.writeInt32LE(ifindex, 4);
  b.writeUInt16LE(1, 8); // ARPHRD_ETHER
  b[10] = 0;
  b[11] = 6;
  b.set(mac.subarray(0, 6), 12);
  return b;
}

/** struct sockaddr_nl: the kernel, or (bound with `groups`) a member of those multicast groups */
export function sockaddrNl(groups = 0): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16LE(AF_NETLINK, 0);
  b.writeUInt32LE(groups, 8);
  return b;
}

/** rtnetlink multicast group of link changes (RTMGRP_LINK) */
export const RTMGRP_LINK = 1;
/** rtnetlink multicast groups of IPv4 and IPv6 address changes */
export const RTMGRP_IPV4_IFADDR = 0x10;
export const RTMGRP_IPV6_IFADDR = 0x100;
