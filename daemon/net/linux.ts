// NetIO on Linux: raw IP sockets (IPv4 and IPv6) for protocol 112,
// rtnetlink for VIPs, AF_PACKET for gratuitous ARP and unsolicited
// neighbour advertisements, /sys and os.networkInterfaces for links.
import { readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { garpFrame, parseMac } from './arp';
import type { Channel, ChannelOptions, NetIO, Route, Rule, Vip, VmacSpec } from './io';
import { describeRoute, describeRule } from '../core/route';
import { ipv6PacketOf } from './ip-header';
import { unsolicitedNaFrame } from './ndisc';
import {
  AF_INET,
  AF_INET6,
  ETH_P_IPV6,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_TCLASS,
  IPV6_UNICAST_HOPS,
  ipv6Mreq,
  sockaddrIn6,
  AF_NETLINK,
  AF_PACKET,
  ETH_P_ARP,
  int32,
  IP_ADD_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TOS,
  IP_TTL,
  ipMreqn,
  IPPROTO_IP,
  native,
  NETLINK_ROUTE,
  RTMGRP_IPV4_IFADDR,
  RTMGRP_IPV6_IFADDR,
  RTMGRP_LINK,
  SO_BINDTODEVICE,
  SO_RCVBUF,
  setRcvBuf,
  type RcvBuf,
  sockaddrIn,
  sockaddrLl,
  sockaddrNl,
  SOCK_RAW,
  SOL_SOCKET,
} from './native';
import { Pinger } from './ping';
import { decodeAck, encodeAddrRequest } from './rtnl';
import { VmacLinux } from './vmac-linux';
import { encodeRouteRequest } from './route-msg';
import { encodeRuleRequest } from './rule-msg';

const IPTOS_PREC_INTERNETCONTROL = 0xc0;
const EEXIST = 17;
const EADDRNOTAVAIL = 99;
const ESRCH = 3;
const ENOENT = 2;

/** Socket settings from the config (keepalived's vrrp_netlink_*_rcv_bufs), applied at start and on reload. */
export interface NetTuning {
  /** the rtnetlink request socket (VIPs, routes, rules); absent: the kernel's default */
  cmdRcvbuf?: RcvBuf;
  /** the rtnetlink event socket of watchLinks; absent: 256 KiB */
  monitorRcvbuf?: RcvBuf;
  /** told when a setting is refused */
  warn?: (msg: string) => void;
}

export class LinuxNet implements NetIO {
  private nl?: number;
  private packetFd?: number;
  private seq = 1;
  private readonly macs = new Map<string, Uint8Array>();
  private readonly vmacs = new VmacLinux();
  private tuning: NetTuning = {};
  /** the open watchLinks sockets, resized by configure */
  private readonly monitors = new Set<number>();

  /** Apply the config's socket settings to the sockets open now and to those opened later. */
  configure(t: NetTuning) {
    this.tuning = t;
    if (this.nl !== undefined && t.cmdRcvbuf) this.sizeBuf(this.nl, 'command', t.cmdRcvbuf);
    for (const fd of this.monitors) this.sizeBuf(fd, 'monitor', this.monitorBuf());
  }

  private monitorBuf(): RcvBuf {
    return this.tuning.monitorRcvbuf ?? { bytes: 1 << 18, force: false };
  }

  private sizeBuf(fd: number, which: string, b: RcvBuf) {
    const err = setRcvBuf(native(), fd, b);
    if (err) this.tuning.warn?.(`netlink ${which} socket: SO_RCVBUFFORCE ${b.bytes}: ${err}`);
  }

  createVmac(spec: VmacSpec) {
    this.macs.delete(spec.name);
    return this.vmacs.create(spec);
  }

  deleteVmac(spec: VmacSpec) {
    this.macs.delete(spec.name);
    this.vmacs.delete(spec);
  }

  primaryIp(ifname: string, family: 4 | 6 = 4): string | undefined {
    const addrs = networkInterfaces()[ifname] ?? [];
    // IPv6: the link-local address (RFC 5798 5.1.2.1: the source of adverts)
    return family === 4
      ? addrs.find((a) => a.family === 'IPv4')?.address
      : addrs.find((a) => a.family === 'IPv6' && /^fe[89ab]/i.test(a.address))?.address;
  }

  /** the carrier as the driver reports it (linkbeat_use_polling); an interface set down has none */
  carrier(ifname: string): boolean {
    try {
      return readFileSync(`/sys/class/net/${ifname}/carrier`, 'utf8').trim() === '1';
    } catch {
      return false;
    }
  }

  linkUp(ifname: string): boolean {
    try {
      const s = readFileSync(`/sys/class/net/${ifname}/operstate`, 'utf8').trim();
      return s === 'up' || s === 'unknown';
    } catch {
      return false;
    }
  }

  private ifindex(ifname: string): number {
    const i = native().ifindex(ifname);
    if (!i) throw new Error(`no such interface: ${ifname}`);
    return i;
  }

  openChannel(o: ChannelOptions, onPacket: (packet: Uint8Array) => void): Channel {
    if (o.src.includes(':')) return this.openChannel6(o, onPacket);
    const n = native();
    const ifindex = this.ifindex(o.ifname);
    const fd = n.socket(AF_INET, SOCK_RAW, o.protocol);
    try {
      n.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(o.ifname + '\0'));
      n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(this.rcvbuf(o)));
      n.setsockopt(fd, IPPROTO_IP, IP_TOS, int32(IPTOS_PREC_INTERNETCONTROL));
      if (o.unicastPeers.length) {
        if (o.ttl !== undefined) n.setsockopt(fd, IPPROTO_IP, IP_TTL, int32(o.ttl));
        // the source of unicast adverts; also filters what we receive to our address
        n.bind(fd, sockaddrIn(o.src));
      } else {
        n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', o.src, ifindex));
        n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, int32(o.ttl ?? 255));
        n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, int32(0));
        n.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(o.group, '0.0.0.0', ifindex));
      }
    } catch (e) {
      n.close(fd);
      throw e;
    }
    const buf = Buffer.alloc(65536);
    const watch = n.watch(fd, () => {
      for (let i = 0; i < 64; i++) {
        const len = n.recv(fd, buf, 0);
        if (len < 0) break;
        onPacket(Uint8Array.prototype.slice.call(buf, 0, len));
      }
    });
    const dests = o.unicastPeers.length ? o.unicastPeers : [o.group];
    const sockaddrs = new Map<string, Buffer>(); // the destinations are few and fixed
    const sockaddrOf = (d: string) => {
      let a = sockaddrs.get(d);
      if (!a) sockaddrs.set(d, (a = sockaddrIn(d)));
      return a;
    };
    return {
      send: (vrrp, dst) => {
        const data = Buffer.from(vrrp.buffer, vrrp.byteOffset, vrrp.byteLength);
        for (const d of dst ? [dst] : dests) {
          try {
            n.sendto(fd, data, sockaddrOf(d));
          } catch {
            // a path without a route (cut, link down) must not stop the others
          }
        }
      },
      close: () => {
        n.unwatch(watch);
        n.close(fd);
      },
    };
  }

  /** The IPv6 channel: the same contract, packets handed on with a rebuilt IPv6 header. */
  private openChannel6(o: ChannelOptions, onPacket: (packet: Uint8Array) => void): Channel {
    const n = native();
    const ifindex = this.ifindex(o.ifname);
    const scope = (ip: string) => (/^f[ef]/i.test(ip) ? ifindex : 0); // link-local and multicast
    const fd = n.socket(AF_INET6, SOCK_RAW, o.protocol);
    try {
      n.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(o.ifname + '\0'));
      n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(this.rcvbuf(o)));
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, int32(IPTOS_PREC_INTERNETCONTROL));
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, int32(1));
      n.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int32(1));
      if (o.ttl !== undefined) {
        n.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int32(o.ttl));
        n.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int32(o.ttl));
      }
      // the source of every advert (the pseudo-header of the checksum names it)
      n.bind(fd, sockaddrIn6(o.src, scope(o.src)));
      if (!o.unicastPeers.length) {
        n.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, int32(ifindex));
        n.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int32(0));
        n.setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, ipv6Mreq(o.group, ifindex));
      }
    } catch (e) {
      n.close(fd);
      throw e;
    }
    const buf = Buffer.alloc(65536);
    const meta = Buffer.alloc(40);
    const watch = n.watch(fd, () => {
      for (let i = 0; i < 64; i++) {
        const len = n.recvMeta(fd, buf, meta);
        if (len < 0) break;
        const hop = meta.readInt32LE(32);
        // the header from the address bytes recvmsg gave (no address strings on the receive path)
        onPacket(ipv6PacketOf(buf.subarray(0, len), meta, o.protocol, hop < 0 ? 0 : hop));
      }
    });
    const dests = o.unicastPeers.length ? o.unicastPeers : [o.group];
    const sockaddrs = new Map(dests.map((d) => [d, sockaddrIn6(d, scope(d))]));
    return {
      send: (vrrp, dst) => {
        const data = Buffer.from(vrrp.buffer, vrrp.byteOffset, vrrp.byteLength);
        for (const d of dst ? [dst] : dests) {
          try {
            n.sendto(fd, data, sockaddrs.get(d) ?? sockaddrIn6(d, scope(d)));
          } catch {
            // a path without a route (cut, link down) must not stop the others
          }
        }
      },
      close: () => {
        n.unwatch(watch);
        n.close(fd);
      },
    };
  }

  /** the receive buffer a channel asks for (the kernel doubles it, as for keepalived) */
  private rcvbuf(o: ChannelOptions): number {
    if (!o.rcvbuf) return 1 << 20;
    if ('bytes' in o.rcvbuf) return o.rcvbuf.bytes;
    const mtu = Number(readFileSync(`/sys/class/net/${o.ifname}/mtu`, 'utf8').trim()) || 1500;
    return mtu * o.rcvbuf.mtuTimes;
  }

  interfaceIndex(name: string): number {
    return native().ifindex(name);
  }

  hasAddress(ip: string): boolean {
    const want = ip.toLowerCase();
    return Object.values(networkInterfaces()).some((l) =>
      (l ?? []).some((a) => a.address.toLowerCase() === want),
    );
  }

  sysctl(key: string, value?: string): string | undefined {
    const file = `/proc/sys/${key}`;
    let old: string | undefined;
    try {
      old = readFileSync(file, 'utf8').trim();
    } catch {
      return undefined;
    }
    if (value !== undefined && value !== old) writeFileSync(file, value);
    return old;
  }

  watchLinks(onChange: () => void): { close(): void } {
    const n = native();
    const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    const buf = Buffer.alloc(16384);
    let watch: unknown;
    try {
      this.sizeBuf(fd, 'monitor', this.monitorBuf());
      n.bind(fd, sockaddrNl(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR));
      watch = n.watch(fd, () => {
        // the messages only say that something changed: linkUp reads the state itself
        let any = false;
        for (let i = 0; i < 64; i++) {
          try {
            if (n.recv(fd, buf, 0) < 0) break;
          } catch {
            /* ENOBUFS: events were lost, so look anyway */
          }
          any = true;
        }
        if (any) onChange();
      });
    } catch (e) {
      n.close(fd);
      throw e;
    }
    this.monitors.add(fd);
    return {
      close: () => {
        this.monitors.delete(fd);
        n.unwatch(watch);
        n.close(fd);
      },
    };
  }

  setVip(add: boolean, vip: Vip): void {
    const seq = this.seq++;
    const req = encodeAddrRequest({
      op: add ? 'add' : 'del',
      ifindex: this.ifindex(vip.dev),
      address: vip.address,
      prefix: vip.prefix,
      seq,
      ...(vip.brd ? { broadcast: vip.brd } : {}),
      ...(vip.label ? { label: vip.label } : {}),
      ...(vip.scope ? { scope: vip.scope } : {}),
      ...(vip.nodad !== undefined ? { nodad: vip.nodad } : {}),
      ...(vip.preferredLft !== undefined ? { preferredLft: vip.preferredLft } : {}),
      ...(vip.peer ? { peer: vip.peer } : {}),
      ...(vip.flags ? { flags: vip.flags } : {}),
    });
    const what = `${add ? 'adding' : 'removing'} ${vip.address}/${vip.prefix} on ${vip.dev}`;
    this.talk(req, seq, what, add ? [EEXIST] : [EADDRNOTAVAIL, ESRCH]);
  }

  setRoute(add: boolean, route: Route): void {
    const seq = this.seq++;
    const req = encodeRouteRequest(add ? 'add' : 'del', route, seq, (d) => this.ifindex(d));
    const what = `${add ? 'adding' : 'removing'} route ${describeRoute(route)}`;
    this.talk(req, seq, what, add ? [EEXIST] : [ESRCH, ENOENT]);
  }

  setRule(add: boolean, rule: Rule): void {
    const seq = this.seq++;
    const req = encodeRuleRequest(add ? 'add' : 'del', rule, seq);
    const what = `${add ? 'adding' : 'removing'} rule ${describeRule(rule)}`;
    this.talk(req, seq, what, add ? [EEXIST] : [ENOENT, ESRCH]);
  }

  /** Send one rtnetlink request and wait for its acknowledgement; `fine` errnos count as done. */
  private talk(req: Uint8Array, seq: number, what: string, fine: number[]) {
    const n = native();
    if (this.nl === undefined) {
      this.nl = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
      if (this.tuning.cmdRcvbuf) this.sizeBuf(this.nl, 'command', this.tuning.cmdRcvbuf);
    }
    n.sendto(this.nl, Buffer.from(req), sockaddrNl());
    const buf = Buffer.alloc(8192);
    for (let tries = 0; tries < 8; tries++) {
      const len = n.recv(this.nl, buf, 1000);
      if (len < 0) throw new Error(`netlink: no answer for ${what}`);
      const err = decodeAck(buf.subarray(0, len), seq);
      if (err === undefined) continue;
      if (err === 0 || fine.includes(err)) return;
      throw new Error(`netlink: ${what}: errno ${err}`);
    }
  }

  garp(ifname: string, ip: string): void {
    const n = native();
    if (this.packetFd === undefined) this.packetFd = n.socket(AF_PACKET, SOCK_RAW, 0);
    const frame = garpFrame(this.mac(ifname), ip);
    n.sendto(
      this.packetFd,
      Buffer.from(frame),
      sockaddrLl(this.ifindex(ifname), ETH_P_ARP, new Uint8Array(6).fill(0xff)),
    );
  }

  unsolicitedNa(ifname: string, ip: string): void {
    const n = native();
    if (this.packetFd === undefined) this.packetFd = n.socket(AF_PACKET, SOCK_RAW, 0);
    // a router (forwarding on) sets the R flag, as keepalived does
    let router = false;
    try {
      router = readFileSync(`/proc/sys/net/ipv6/conf/${ifname}/forwarding`, 'utf8').trim() === '1';
    } catch {
      /* no IPv6 on the interface: the frame still goes out without R */
    }
    n.sendto(
      this.packetFd,
      Buffer.from(unsolicitedNaFrame(this.mac(ifname), ip, router)),
      sockaddrLl(this.ifindex(ifname), ETH_P_IPV6, Uint8Array.from([0x33, 0x33, 0, 0, 0, 1])),
    );
  }

  private mac(ifname: string): Uint8Array {
    let mac = this.macs.get(ifname);
    if (!mac) {
      mac = parseMac(readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim());
      this.macs.set(ifname, mac);
    }
    return mac;
  }

  private readonly pinger = new Pinger();

  ping(address: string, timeoutMs: number): Promise<boolean> {
    return this.pinger.ping(address, timeoutMs);
  }

  close() {
    const n = native();
    this.pinger.close();
    if (this.nl !== undefined) n.close(this.nl);
    if (this.packetFd !== undefined) n.close(this.packetFd);
    this.nl = this.packetFd = undefined;
    this.vmacs.close();
  }
}
