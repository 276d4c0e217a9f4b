// The IPVS dataplane: generic netlink requests through the native socket
// layer. Converges with planIpvs() (no flush), so destinations that stay keep
// their connections. Not exercised on this machine (its kernel has no IPVS):
// the VM test tier runs it against Debian's kernel. With global_defs
// nftables_ipvs it also keeps the nftables table that marks a group's address
// ranges for their fwmark services (ipvs-marks.ts).
import { GenlSocket } from '../net/genl-socket';
import { native, setRcvBuf, type RcvBuf } from '../net/native';
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
import { ipvsKey, planIpvs, toIpvs, type IpvsTable } from './ipvs-plan';
import type { Dataplane, Service } from './types';
import type { Log } from '../core/log';
import { renderIpvsMarks, renderIpvsMarksClear } from './ipvs-marks';
import { nft } from './nft-run';

export class IpvsDataplane implements Dataplane {
  readonly name = 'ipvs' as const;
  /** the kernel announces no IPVS changes: look every 5 s (two netlink dumps) */
  readonly safetyNetMs = 5000;
  private sock?: GenlSocket;
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
  /** netlink requests sent: dumps (reads of the kernel's table) and commands */
  readonly requests = { dumps: 0, commands: 0 };

  constructor(private readonly log: Log) {}

  private open(): GenlSocket {
    if (!this.sock)
      try {
        this.sock = GenlSocket.open(IPVS_GENL_NAME, (fd) => this.cmdBuf && this.sizeBuf(fd));
      } catch (e) {
        throw new Error(`IPVS: ${(e as Error).message} (is ip_vs loaded?)`);
      }
    return this.sock;
  }

  /** lvs_netlink_cmd_rcv_bufs: the generic netlink socket; IPVS has no event socket */
  tune(bufs: { cmd?: RcvBuf }, warn: (msg: string) => void) {
    this.cmdBuf = bufs.cmd ? { buf: bufs.cmd, warn } : undefined;
    if (this.sock && this.cmdBuf) this.sizeBuf(this.sock.fd);
  }

  private sizeBuf(fd: number) {
    const { buf, warn } = this.cmdBuf!;
    const err = setRcvBuf(native(), fd, buf);
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

  private request(make: (family: number, seq: number) => Uint8Array, dump = false) {
    const sock = this.open();
    this.requests[dump ? 'dumps' : 'commands']++;
    return sock.request(make(sock.family, sock.nextSeq()), dump);
  }

  private current(): IpvsTable[] {
    const services = this.request((f, q) => dumpServicesMessage(f, q), true)
      .map(parseService)
      .filter((s): s is NonNullable<typeof s> => !!s);
    return services.map((service) => ({
      service,
      dests: this.request((f, q) => dumpDestsMessage(f, service, q), true)
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
        this.request((f, q) => encodeCommand(f, c, q));
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
    if (!this.sock) return false;
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
    this.request((f, q) => flushMessage(f, q));
    this.known = undefined;
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    this.open();
    this.request((f, q) => setTimeoutsMessage(f, t, q));
  }

  async clear(): Promise<void> {
    if (!this.sock) return;
    this.desired = [];
    this.converge();
    await this.applyMarks([]);
    this.sock.close();
    this.sock = undefined;
  }
}
