// ICMP echo for the reference-IP checks (NetIO.ping) and PING_CHECK: one raw
// socket per family, the replies matched to their requests by sequence
// number. IPv6: an ICMPv6 raw socket (the kernel fills in the checksum, the
// packet arrives without IP header).
import { isIPv6 } from 'node:net';
import { echoRequest, parseEchoReply } from './icmp';
import { AF_INET, AF_INET6, native, sockaddrIn, sockaddrIn6, SOCK_RAW } from './native';

const ICMP_ID = process.pid & 0xffff;

interface Family {
  fd: number;
  watch: unknown;
  pending: Map<number, (ok: boolean) => void>;
}

export class Pinger {
  private readonly fam = new Map<4 | 6, Family>();
  private seq = 0;

  /** `id`: the echo identifier; two pingers in one process need different ones */
  constructor(private readonly id = ICMP_ID) {}

  private open(v: 4 | 6): Family {
    const had = this.fam.get(v);
    if (had) return had;
    const n = native();
    const fd = n.socket(v === 4 ? AF_INET : AF_INET6, SOCK_RAW, v === 4 ? 1 : 58);
    const pending = new Map<number, (ok: boolean) => void>();
    const buf = Buffer.alloc(2048);
    const meta = Buffer.alloc(40);
    const watch = n.watch(fd, () => {
      for (let i = 0; i < 64; i++) {
        const len = v === 4 ? n.recv(fd, buf, 0) : n.recvMeta(fd, buf, meta);
        if (len < 0) break;
        const r = v === 4 ? parseEchoReply(buf.subarray(0, len)) : parseEcho6(buf.subarray(0, len));
        if (r && r.id === this.id) pending.get(r.seq)?.(true);
      }
    });
    const f = { fd, watch, pending };
    this.fam.set(v, f);
    return f;
  }

  ping(address: string, timeoutMs: number): Promise<boolean> {
    const v = isIPv6(address) ? 6 : 4;
    const f = this.open(v);
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        f.pending.delete(seq);
        resolve(ok);
      };
      f.pending.set(seq, done);
      try {
        const req = Buffer.from(echoRequest(this.id, seq));
        if (v === 6) {
          req[0] = 128; // ICMPv6 echo request; the kernel computes the checksum
          req[2] = req[3] = 0;
        }
        native().sendto(f.fd, req, v === 4 ? sockaddrIn(address) : sockaddrIn6(address));
      } catch {
        done(false); // no route (an isolated node): unreachable
      }
    });
  }

  close() {
    const n = native();
    for (const f of this.fam.values()) {
      n.unwatch(f.watch);
      n.close(f.fd);
    }
    this.fam.clear();
  }
}

/** An ICMPv6 echo reply (no IP header): id and seq. */
function parseEcho6(m: Uint8Array): { id: number; seq: number } | undefined {
  if (m.length < 8 || m[0] !== 129 || m[1] !== 0) return undefined;
  return { id: (m[4] << 8) | m[5], seq: (m[6] << 8) | m[7] };
}
