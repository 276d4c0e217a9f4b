// The IPVS dataplane: generic netlink requests through the native socket
// layer. Converges with planIpvs() (no flush), so destinations that stay keep
// their connections. Not exercised on this machine (its kernel has no IPVS):
// the VM test tier runs it against Debian's kernel.
import { native, AF_NETLINK, SOCK_RAW, sockaddrNl } from '../net/native';
import {
  dumpDestsMessage,
  dumpServicesMessage,
  encodeCommand,
  flushMessage,
  setTimeoutsMessage,
  type IpvsTimeouts,
  parseDest,
  parseService,
  serviceAf,
  IPVS_GENL_NAME,
} from './ipvs';
import { familyIdFrom, getFamilyMessage, parseMessages, type NlMessage } from '../net/genl';
import { ipvsKey, planIpvs, toIpvs, type IpvsTable } from './ipvs-plan';
import type { Dataplane, Service } from './types';
import type { Log } from '../core/log';

const NETLINK_GENERIC = 16;
const NLMSG_DONE = 3;

export class IpvsDataplane implements Dataplane {
  readonly name = 'ipvs' as const;
  /** the kernel announces no IPVS changes: look every 5 s (two netlink dumps) */
  readonly safetyNetMs = 5000;
  private fd?: number;
  private family = 0;
  private seq = 1;
  private desired: IpvsTable[] = [];
  private readonly owned = new Set<string>();
  /** the table as this daemon last wrote it (undefined: unknown, read the kernel's) */
  private known?: IpvsTable[];
  errors = 0;

  constructor(private readonly log: Log) {}

  private open() {
    if (this.fd !== undefined) return;
    const n = native();
    this.fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
    const fam = familyIdFrom(this.request(getFamilyMessage(IPVS_GENL_NAME, this.seq++), false));
    if (!fam) throw new Error('IPVS generic netlink family not found (is ip_vs loaded?)');
    this.family = fam;
  }

  /** Send one message and collect the answer: up to NLMSG_DONE for dumps, the ack otherwise. */
  private request(msg: Uint8Array, dump: boolean): NlMessage[] {
    const n = native();
    const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, true);
    n.sendto(this.fd!, Buffer.from(msg), sockaddrNl());
    const out: NlMessage[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (let i = 0; i < 10_000; i++) {
      const len = n.recv(this.fd!, buf, 2000);
      if (len < 0) throw new Error('IPVS: no answer from the kernel');
      // a copy: parsed attributes are views into it, and the next recv of a
      // multi-part dump reuses buf (a view would show the next part's bytes)
      for (const m of parseMessages(Uint8Array.prototype.slice.call(buf, 0, len))) {
        if (m.seq !== seq) continue;
        if (m.error !== undefined) {
          if (m.error !== 0)
            throw Object.assign(new Error(`IPVS: errno ${m.error}`), { errno: m.error });
          return out;
        }
        if (m.type === NLMSG_DONE) return out;
        out.push(m);
        if (!dump) return out;
      }
    }
    return out;
  }

  private current(): IpvsTable[] {
    const services = this.request(dumpServicesMessage(this.family, this.seq++), true)
      .map(parseService)
      .filter((s): s is NonNullable<typeof s> => !!s);
    return services.map((service) => ({
      service,
      dests: this.request(dumpDestsMessage(this.family, service, this.seq++), true)
        .map((m) => parseDest(m, serviceAf(service)))
        .filter((d): d is NonNullable<typeof d> => !!d),
    }));
  }

  /** Runs the plan from `current` (read from the kernel unless given) to the desired table. */
  private converge(current?: IpvsTable[]): number {
    this.open();
    this.known = undefined;
    const cmds = planIpvs(current ?? this.current(), this.desired, this.owned);
    for (const c of cmds) {
      try {
        this.request(encodeCommand(this.family, c, this.seq++), false);
      } catch (e) {
        throw new Error(`${c.cmd} ${ipvsKey(c.service)}: ${(e as Error).message}`);
      }
    }
    this.known = this.desired;
    return cmds.length;
  }

  async apply(services: Service[]): Promise<void> {
    this.desired = services.map(toIpvs);
    for (const t of this.desired) this.owned.add(ipvsKey(t.service));
    // A change is planned from the table this daemon last wrote (one real
    // server = one command, no dump of the whole table); if the kernel's table
    // is not that any more, a command fails and the plan is redone from a dump.
    if (this.known)
      try {
        this.converge(this.known);
        return;
      } catch (e) {
        this.log(
          'info',
          `dataplane: IPVS is not as last applied (${(e as Error).message}); reading it`,
        );
      }
    try {
      this.converge();
    } catch (e) {
      this.errors++;
      throw e;
    }
  }

  async reconcile(): Promise<boolean> {
    if (this.fd === undefined) return false;
    let n: number;
    try {
      n = this.converge();
    } catch (e) {
      this.errors++;
      throw e;
    }
    if (n)
      this.log(
        'warn',
        `dataplane: IPVS differed from the configuration; ${n} change(s) re-applied`,
      );
    return n > 0;
  }

  async flushAll(): Promise<void> {
    this.open();
    this.request(flushMessage(this.family, this.seq++), false);
    this.known = undefined;
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    this.open();
    this.request(setTimeoutsMessage(this.family, t, this.seq++), false);
  }

  async clear(): Promise<void> {
    if (this.fd === undefined) return;
    this.desired = [];
    this.converge();
    native().close(this.fd);
    this.fd = undefined;
  }
}
