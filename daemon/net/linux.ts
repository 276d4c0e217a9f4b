// NetIO on Linux: raw IP sockets for protocol 112, rtnetlink for VIPs,
// AF_PACKET for gratuitous ARP, /sys and os.networkInterfaces for links.
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { garpFrame, parseMac } from './arp';
import type { Channel, ChannelOptions, NetIO, Vip } from './io';
import {
  AF_INET,
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
  RTMGRP_LINK,
  SO_BINDTODEVICE,
  SO_RCVBUF,
  sockaddrIn,
  sockaddrLl,
  sockaddrNl,
  SOCK_RAW,
  SOL_SOCKET,
} from './native';
import { echoRequest, parseEchoReply } from './icmp';
import { decodeAck, encodeAddrRequest } from './rtnl';

const ICMP_ID = process.pid & 0xffff;

const IPTOS_PREC_INTERNETCONTROL = 0xc0;
const EEXIST = 17;
const EADDRNOTAVAIL = 99;
const ESRCH = 3;

export class LinuxNet implements NetIO {
  private nl?: number;
  private packetFd?: number;
  private seq = 1;
  private readonly macs = new Map<string, Uint8Array>();

  primaryIp(ifname: string): string | undefined {
    return networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4')?.address;
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
    const n = native();
    const ifindex = this.ifindex(o.ifname);
    const fd = n.socket(AF_INET, SOCK_RAW, o.protocol);
    try {
      n.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(o.ifname + '\0'));
      n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(1 << 20));
      n.setsockopt(fd, IPPROTO_IP, IP_TOS, int32(IPTOS_PREC_INTERNETCONTROL));
      if (o.unicastPeers.length) {
        n.setsockopt(fd, IPPROTO_IP, IP_TTL, int32(o.ttl));
        // the source of unicast adverts; also filters what we receive to our address
        n.bind(fd, sockaddrIn(o.src));
      } else {
        n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', o.src, ifindex));
        n.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, int32(o.ttl));
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

  watchLinks(onChange: () => void): { close(): void } {
    const n = native();
    const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    const buf = Buffer.alloc(16384);
    let watch: unknown;
    try {
      n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(1 << 18));
      n.bind(fd, sockaddrNl(RTMGRP_LINK));
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
    return {
      close: () => {
        n.unwatch(watch);
        n.close(fd);
      },
    };
  }

  setVip(add: boolean, vip: Vip): void {
    const n = native();
    if (this.nl === undefined) this.nl = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
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
    });
    n.sendto(this.nl, Buffer.from(req), sockaddrNl());
    const buf = Buffer.alloc(8192);
    for (let tries = 0; tries < 8; tries++) {
      const len = n.recv(this.nl, buf, 1000);
      if (len < 0)
        throw new Error(`netlink: no answer for ${add ? 'adding' : 'removing'} ${vip.address}`);
      const err = decodeAck(buf.subarray(0, len), seq);
      if (err === undefined) continue;
      if (
        err === 0 ||
        (add && err === EEXIST) ||
        (!add && (err === EADDRNOTAVAIL || err === ESRCH))
      )
        return;
      throw new Error(
        `netlink: ${add ? 'adding' : 'removing'} ${vip.address}/${vip.prefix} on ${vip.dev}: errno ${err}`,
      );
    }
  }

  garp(ifname: string, ip: string): void {
    const n = native();
    if (this.packetFd === undefined) this.packetFd = n.socket(AF_PACKET, SOCK_RAW, 0);
    let mac = this.macs.get(ifname);
    if (!mac) {
      const m = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim();
      mac = parseMac(m);
      this.macs.set(ifname, mac);
    }
    const frame = garpFrame(mac, ip);
    n.sendto(
      this.packetFd,
      Buffer.from(frame),
      sockaddrLl(this.ifindex(ifname), ETH_P_ARP, new Uint8Array(6).fill(0xff)),
    );
  }

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
    const n = native();
    if (this.icmp) {
      n.unwatch(this.icmp.watch);
      n.close(this.icmp.fd);
      this.icmp = undefined;
    }
    if (this.nl !== undefined) n.close(this.nl);
    if (this.packetFd !== undefined) n.close(this.packetFd);
    this.nl = this.packetFd = undefined;
  }
}
