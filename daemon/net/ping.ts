// ICMP echo for the reference-IP checks (NetIO.ping): one raw socket, the
// replies matched to their requests by sequence number.
import { echoRequest, parseEchoReply } from './icmp';
import { AF_INET, native, sockaddrIn, SOCK_RAW } from './native';

const ICMP_ID = process.pid & 0xffff;

export class Pinger {
  private icmp?: {
    fd: number;
    watch: unknown;
    pending: Map<number, (ok: boolean) => void>;
    seq: number;
  };

  ping(address: string, timeoutMs: number): Promise<boolean> {
    const n = native();
    if (!this.icmp) {
      const fd = n.socket(AF_INET, SOCK_RAW, 1 /* IPPROTO_ICMP */);
      const pending = new Map<number, (ok: boolean) => void>();
      const buf = Buffer.alloc(2048);
      const watch = n.watch(fd, () => {
        for (let i = 0; i < 64; i++) {
          const len = n.recv(fd, buf, 0);
          if (len < 0) break;
          const r = parseEchoReply(buf.subarray(0, len));
          if (r && r.id === ICMP_ID) pending.get(r.seq)?.(true);
        }
      });
      this.icmp = { fd, watch, pending, seq: 0 };
    }
    const icmp = this.icmp;
    const seq = (icmp.seq = (icmp.seq + 1) & 0xffff);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean) => {
        clearTimeout(timer);
        icmp.pending.delete(seq);
        resolve(ok);
      };
      icmp.pending.set(seq, done);
      try {
        n.sendto(icmp.fd, Buffer.from(echoRequest(ICMP_ID, seq)), sockaddrIn(address));
      } catch {
        done(false); // no route (an isolated node): unreachable
      }
    });
  }

  close() {
    if (!this.icmp) return;
    const n = native();
    n.unwatch(this.icmp.watch);
    n.close(this.icmp.fd);
    this.icmp = undefined;
  }
}
