// A generic netlink socket for request/answer exchanges with the kernel
// (IPVS, its sync threads): the family looked up by name when opened;
// request() sends one message and collects its answer, the ack or every part
// of a dump up to NLMSG_DONE. Blocking and bounded (each receive waits at
// most timeoutMs): the kernel answers these in microseconds.
import { familyIdFrom, getFamilyMessage, parseMessages, type NlMessage } from './genl';
import { AF_NETLINK, native, SOCK_RAW, sockaddrNl } from './native';

const NETLINK_GENERIC = 16;
const NLMSG_DONE = 3;

export class GenlSocket {
  private seq = 1;
  /** the family's id, as the kernel's controller gave it */
  family = 0;

  private constructor(
    readonly fd: number,
    private readonly name: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Opens a socket to the family `name`; `prepare` runs on the fd first (e.g.
   * its receive buffer). Throws when the kernel has no such family.
   */
  static open(name: string, prepare?: (fd: number) => void, timeoutMs = 2000): GenlSocket {
    const s = new GenlSocket(
      native().socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC),
      name,
      timeoutMs,
    );
    try {
      prepare?.(s.fd);
      let fam: number | undefined;
      try {
        fam = familyIdFrom(s.request(getFamilyMessage(name, s.nextSeq()), false));
      } catch {
        fam = undefined; // ENOENT: no such family
      }
      if (!fam) throw new Error(`generic netlink family ${name} not found`);
      s.family = fam;
      return s;
    } catch (e) {
      s.close();
      throw e;
    }
  }

  nextSeq(): number {
    return this.seq++;
  }

  /** Send one message and collect the answer: up to NLMSG_DONE for dumps, the ack otherwise. */
  request(msg: Uint8Array, dump: boolean): NlMessage[] {
    const n = native();
    const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    n.sendto(this.fd, Buffer.from(msg), sockaddrNl());
    const out: NlMessage[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (let i = 0; i < 10_000; i++) {
      const len = n.recv(this.fd, buf, this.timeoutMs);
      if (len < 0) throw new Error(`${this.name}: no answer from the kernel`);
      // a copy: parsed attributes are views into it, and the next recv of a
      // multi-part dump reuses buf (a view would show the next part's bytes)
      for (const m of parseMessages(Uint8Array.prototype.slice.call(buf, 0, len))) {
        if (m.seq !== seq) continue;
        if (m.error !== undefined) {
          if (m.error !== 0)
            throw Object.assign(new Error(`${this.name}: errno ${m.error}`), { errno: m.error });
          return out;
        }
        if (m.type === NLMSG_DONE) return out;
        out.push(m);
        if (!dump) return out;
      }
    }
    return out;
  }

  close() {
    native().close(this.fd);
  }
}
