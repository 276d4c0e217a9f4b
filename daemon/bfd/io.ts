// The sockets of BFD (RFC 5881): one UDP socket on port 3784 for both
// families (dual-stack IPv6, like keepalived), read with recvmsg so the TTL /
// hop limit and our destination address come with every packet (Node's dgram
// can give neither); one socket per session toward its neighbour, bound to
// source_ip on a port in 49152-65535 and sending with the session's TTL.
import { bytesToIpv4, bytesToIpv6, familyOf } from '../core/address';
import type { Log } from '../core/log';
import {
  AF_INET,
  AF_INET6,
  IP_PKTINFO,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  int32,
  native,
  sockaddrIn,
  sockaddrIn6,
  SOCK_DGRAM,
} from '../net/native';
import { BFD_PORT } from './packet';
import type { BfdSender, BfdTransport, Received } from './sessions';

const MIN_PORT = 49152;
const MAX_PORT = 65535;

/** An address from the 16 bytes of recvMeta's meta (IPv4 arrives as ::ffff:a.b.c.d). */
function addressAt(b: Buffer, off: number): string | undefined {
  const mapped =
    b.subarray(off, off + 10).every((x) => x === 0) && b[off + 10] === 0xff && b[off + 11] === 0xff;
  if (mapped) return bytesToIpv4(b, off + 12);
  if (b.subarray(off, off + 16).every((x) => x === 0)) return undefined;
  return bytesToIpv6(b, off);
}

export class LinuxBfdTransport implements BfdTransport {
  private fd = -1;
  private watch?: unknown;

  constructor(
    private readonly log: Log,
    private readonly port = BFD_PORT,
  ) {}

  listen(onPacket: (p: Received) => void) {
    const n = native();
    const fd = n.socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    try {
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, int32(0));
      n.setsockopt(fd, IPPROTO_IP, IP_RECVTTL, int32(1));
      n.setsockopt(fd, IPPROTO_IP, IP_PKTINFO, int32(1));
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int32(1));
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, int32(1));
      n.bind(fd, sockaddrIn6('::', 0, this.port));
    } catch (e) {
      n.close(fd);
      this.log('error', `bfd: cannot listen on UDP ${this.port}: ${(e as Error).message}`);
      return;
    }
    this.fd = fd;
    const buf = Buffer.alloc(1500);
    const meta = Buffer.alloc(40);
    this.watch = n.watch(fd, () => {
      for (;;) {
        const len = n.recvMeta(fd, buf, meta);
        if (len < 0) return;
        const ttl = meta.readInt32LE(32);
        onPacket({
          data: Buffer.from(buf.subarray(0, len)),
          from: addressAt(meta, 0) ?? '::',
          to: addressAt(meta, 16),
          ttl: ttl < 0 ? undefined : ttl,
        });
      }
    });
  }

  sender(neighbor: string, source: string | undefined, ttl: number): BfdSender {
    const n = native();
    const v4 = familyOf(neighbor) === 4;
    const fd = n.socket(v4 ? AF_INET : AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    try {
      if (v4) n.setsockopt(fd, IPPROTO_IP, IP_TTL, int32(ttl));
      else n.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(ttl));
      // RFC 5881 4: source port 49152-65535; keepalived binds only with a source_ip,
      // we bind always (the wildcard address when none) so the port is in range
      const start = MIN_PORT + Math.floor(Math.random() * (MAX_PORT - MIN_PORT + 1));
      for (let i = 0; ; i++) {
        const port = MIN_PORT + ((start - MIN_PORT + i) % (MAX_PORT - MIN_PORT + 1));
        try {
          n.bind(
            fd,
            v4 ? sockaddrIn(source ?? '0.0.0.0', port) : sockaddrIn6(source ?? '::', 0, port),
          );
          break;
        } catch (e) {
          if ((e as { errno?: number }).errno !== 98 || i > MAX_PORT - MIN_PORT) throw e; // EADDRINUSE
        }
      }
    } catch (e) {
      n.close(fd);
      throw e;
    }
    const to = v4 ? sockaddrIn(neighbor, BFD_PORT) : sockaddrIn6(neighbor, 0, BFD_PORT);
    return {
      send: (packet) => void n.sendto(fd, packet, to),
      close: () => n.close(fd),
    };
  }

  close() {
    if (this.watch) native().unwatch(this.watch);
    this.watch = undefined;
    if (this.fd >= 0) native().close(this.fd);
    this.fd = -1;
  }
}
