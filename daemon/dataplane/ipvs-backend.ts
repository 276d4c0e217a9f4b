// The IPVS dataplane: generic netlink requests through the native socket
// layer. Converges with planIpvs() (no flush), so destinations that stay keep
// their connections. Not exercised on this machine (its kernel has no IPVS):
// the VM test tier runs it against Debian's kernel. With global_defs
// nftables_ipvs it also keeps the nftables table that marks a group's address
// ranges for their fwmark services (ipvs-marks.ts).
import { native, AF_NETLINK, SOCK_RAW, sockaddrNl, setRcvBuf, type RcvBuf } from '../net/native';
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
import { renderIpvsMarks, renderIpvsMarksClear } from './ipvs-marks';
import { nft } from './nft-run';

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
  private desiredServices: Service[] = [];
  private readonly owned = new Set<string>();
  /** nftables_ipvs: the marking table as last applied ('' = none) and its name */
  private marks = '';
  private marksTable?: string;
  private cmdBuf?: { buf: RcvBuf; warn: (m: string) => void };
  /** the table as this daemon last wrote it (undefined: unknown, read the kernel's) */
  private known?: IpvsTable[];
  errors = 0;

  constructor(private readonly log: Log) {}

  private open() {
    if (this.fd !== undefined) return;
    const n = native();
    this.fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
    if (this.cmdBuf) this.sizeBuf();
    const fam = familyIdFrom(this.request(getFamilyMessage(IPVS_GENL_NAME, this.seq++), false));
    if (!fam) throw new Error('IPVS generic netlink family not found (is ip_vs loaded?)');
    this.family = fam;
  }

  /** lvs_netlink_cmd_rcv_bufs: the generic netlink socket; IPVS has no event socket */
  tune(bufs: { cmd?: RcvBuf }, warn: (msg: string) => void) {
    this.cmdBuf = bufs.cmd ? { buf: bufs.cmd, warn } : undefined;
    if (this.fd !== undefined && this.cmdBuf) this.sizeBuf();
  }

  private sizeBuf() {
    const { buf, warn } = this.cmdBuf!;
    const err = setRcvBuf(native(), this.fd!, buf);
    if (err) warn(`IPVS netlink socket: SO_RCVBUFFORCE ${buf.bytes}: ${err}`);
  }

  /** nftables_ipvs: (re)write the marking table when it differs from what we applied */
  private async applyMarks(services: Service[], force = false) {
    const text = renderIpvsMarks(services);
    if (text === this.marks && !force) return;
    const table = services.find((s) => s.marked)?.marked?.table;
    const parts: string[] = [];
    if (this.marksTable && (!text || this.marksTable !== table))
      parts.push(renderIpvsMarksClear(this.marksTable));
    if (text) parts.push(text);
    if (!parts.length) return;
    const res = await nft(['-f', '-'], parts.join(''));
    if (res.code !== 0) {
      this.errors++;
      this.marks = '';
      throw new Error(`nftables_ipvs: nft: ${res.err.trim() || res.out.trim()}`);
    }
    this.marks = text;
    this.marksTable = table;
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
    this.desiredServices = services;
    for (const t of this.desired) this.owned.add(ipvsKey(t.service));
    // A change is planned from the table this daemon last wrote (one real
    // server = one command, no dump of the whole table); if the kernel's table
    // is not that any more, a command fails and the plan is redone from a dump.
    let done = false;
    if (this.known)
      try {
        this.converge(this.known);
        done = true;
      } catch (e) {
        this.log(
          'info',
          `dataplane: IPVS is not as last applied (${(e as Error).message}); reading it`,
        );
      }
    if (!done)
      try {
        this.converge();
      } catch (e) {
        this.errors++;
        throw e;
      }
    await this.applyMarks(services);
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
    if (this.marks && (await nft(['list', 'table', 'ip', this.marksTable!])).code !== 0) {
      await this.applyMarks(this.desiredServices, true);
      n++;
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
    await this.applyMarks([]);
    native().close(this.fd);
    this.fd = undefined;
  }
}
