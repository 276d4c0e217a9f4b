// ICMP echo for the reference-IP checks (NetIO.ping) and PING_CHECK: one raw
// socket per family, the replies matched to their requests by sequence
// number. IPv6: an ICMPv6 raw socket (the kernel fills in the checksum, the
// packet arrives without IP header). PING_CHECK's bindto, bind_if and fwmark
// (probe-socket.ts) get a socket of their own per distinct set.
import { isIPv6 } from 'node:net';
import { echoRequest, parseEchoReply } from './icmp';
import { native, SOCK_RAW } from './native';
import { openProbeSocket, targetSockaddr, type ProbeSocketOptions } from './probe-socket';

const ICMP_ID = process.pid & 0xffff;

interface Family {
  fd: number;
  watch: unknown;
  pending: Map<number, (ok: boolean) => void>;
}

export class Pinger {
  /** by family and socket options */
  private readonly fam = new Map<string, Family>();
  private seq = 0;

  /** `id`: the echo identifier; two pingers in one process need different ones */
  constructor(private readonly id = ICMP_ID) {}

  private open(v: 4 | 6, o: ProbeSocketOptions): Family {
    const key = `${v} ${o.bindto ?? ''} ${o.bindIf ?? ''} ${o.fwmark ?? 0}`;
    const had = this.fam.get(key);
    if (had) return had;
    const n = native();
    // ICMP has no ports: bind_port does not apply
    const sock = {
      ...(o.bindto ? { bindto: o.bindto } : {}),
      ...(o.bindIf ? { bindIf: o.bindIf } : {}),
      ...(o.fwmark ? { fwmark: o.fwmark } : {}),
    };
    const fd = openProbeSocket(v, SOCK_RAW, v === 4 ? 1 : 58, sock, n);
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
    this.fam.set(key, f);
    return f;
  }

  /** `o`: PING_CHECK's bindto, bind_if, fwmark (a bad one throws: cannot bind, no such device) */
  ping(address: string, timeoutMs: number, o: ProbeSocketOptions = {}): Promise<boolean> {
    const v = isIPv6(address) ? 6 : 4;
    const f = this.open(v, o);
    const scope = o.bindIf ? native().ifindex(o.bindIf) : 0;
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
        native().sendto(f.fd, req, targetSockaddr(address, 0, scope));
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
