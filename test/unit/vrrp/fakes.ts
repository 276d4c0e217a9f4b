// A fake clock and a fake LAN for running VRRP engines in one process.
import type { Config } from '../../../daemon/config/model';
import type { Clock, Timer } from '../../../daemon/core/clock';
import { VrrpEngine } from '../../../daemon/vrrp/engine';
import type {
  Channel,
  ChannelOptions,
  NetIO,
  Route,
  Rule,
  Vip,
  VmacSpec,
} from '../../../daemon/net/io';
import { describeRoute, describeRule } from '../../../daemon/core/route';
import { vrrpPacket } from '../../../daemon/vrrp/receive';

export class FakeClock implements Clock {
  t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; dead: boolean }[] = [];
  now() {
    return this.t;
  }
  at(ms: number, fn: () => void): Timer {
    const e = { at: ms, seq: this.seq++, fn, dead: false };
    this.timers.push(e);
    return { cancel: () => (e.dead = true) };
  }
  /** run every timer due up to now + ms, in order */
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => !x.dead);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}

/** A shared L2 segment: packets sent by one host reach every other host's channels. */
export class FakeLan {
  readonly hosts: FakeNet[] = [];
  /** packets in flight are delivered synchronously unless the sender is cut */
  deliver(from: FakeNet, src: string, dst: string, vrrp: Uint8Array, ttl = 255) {
    for (const h of this.hosts) {
      if (h === from || h.cut || from.cut) continue;
      for (const ch of h.channels) {
        if (ch.opts.src.includes(':') !== src.includes(':')) continue; // one family per channel
        if (dst.startsWith('224.') || dst.startsWith('ff') || ch.opts.src === dst)
          ch.onPacket(vrrpPacket(vrrp, src, dst, ttl));
      }
    }
  }
}

export class FakeNet implements NetIO {
  readonly vips = new Set<string>();
  readonly garps: { ip: string; at: number; ifname?: string }[] = [];
  readonly channels: { opts: ChannelOptions; onPacket: (p: Uint8Array) => void }[] = [];
  readonly sent: { vrrp: Uint8Array; at: number }[] = [];
  cut = false;
  /** interfaces whose adverts are lost (a cut heartbeat path) */
  cutPaths = new Set<string>();
  links = new Map<string, boolean>();

  constructor(
    readonly lan: FakeLan,
    readonly ip: string,
    private readonly clock: FakeClock,
  ) {
    lan.hosts.push(this);
  }
  /** the link-local address IPv6 instances send from */
  ip6 = 'fe80::1';
  primaryIp(_ifname: string, family: 4 | 6 = 4) {
    return family === 6 ? this.ip6 : this.ip;
  }
  linkUp(ifname: string) {
    return this.links.get(ifname) ?? true;
  }
  private readonly linkWatchers = new Set<() => void>();
  watchLinks(onChange: () => void) {
    this.linkWatchers.add(onChange);
    return { close: () => void this.linkWatchers.delete(onChange) };
  }
  /** a link changes state: the kernel tells every watcher */
  setLink(ifname: string, up: boolean) {
    this.links.set(ifname, up);
    for (const w of [...this.linkWatchers]) w();
  }
  get linkWatcherCount() {
    return this.linkWatchers.size;
  }
  /** interfaces and their index; absent ones do not exist (every name exists by default) */
  ifindexes?: Map<string, number>;
  interfaceIndex(name: string) {
    return this.ifindexes ? (this.ifindexes.get(name) ?? 0) : 1;
  }
  /** addresses on this host besides its own (track_src_ip) */
  readonly addresses = new Set<string>();
  hasAddress(ip: string) {
    return ip === this.ip || ip === this.ip6 || this.addresses.has(ip) || this.vips.has(ip);
  }
  /** an address comes or goes: the kernel tells the link/address watchers */
  setAddress(ip: string, present: boolean) {
    if (present) this.addresses.add(ip);
    else this.addresses.delete(ip);
    for (const w of [...this.linkWatchers]) w();
  }
  readonly sysctls = new Map<string, string>();
  sysctl(key: string, value?: string) {
    const old = this.sysctls.get(key) ?? '0';
    if (value !== undefined) this.sysctls.set(key, value);
    return old;
  }
  /** the next N channel opens fail (an address not usable yet) */
  failOpens = 0;
  openChannel(opts: ChannelOptions, onPacket: (p: Uint8Array) => void): Channel {
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('bind: Cannot assign requested address');
    }
    const entry = { opts, onPacket };
    this.channels.push(entry);
    return {
      send: (vrrp, dst) => {
        this.sent.push({ vrrp, at: this.clock.now() });
        const dsts = dst ? [dst] : opts.unicastPeers.length ? opts.unicastPeers : [opts.group];
        for (const d of dsts)
          if (!this.cutPaths.has(opts.ifname)) this.lan.deliver(this, opts.src, d, vrrp);
      },
      close: () => this.channels.splice(this.channels.indexOf(entry), 1),
    };
  }
  /** where each VIP is (address -> dev) */
  readonly vipDevs = new Map<string, string>();
  setVip(add: boolean, vip: Vip) {
    if (add) this.vips.add(vip.address);
    else this.vips.delete(vip.address);
    if (add) this.vipDevs.set(vip.address, vip.dev);
    else this.vipDevs.delete(vip.address);
  }
  /** installed routes and rules, by their log text */
  readonly routes = new Set<string>();
  readonly rules = new Set<string>();
  /** every route/rule call in order: `+route TEXT`, `-rule TEXT` */
  readonly routeLog: string[] = [];
  setRoute(add: boolean, route: Route) {
    const k = describeRoute(route);
    if (add) this.routes.add(k);
    else this.routes.delete(k);
    this.routeLog.push(`${add ? '+' : '-'}route ${k}`);
  }
  setRule(add: boolean, rule: Rule) {
    const k = describeRule(rule);
    if (add) this.rules.add(k);
    else this.rules.delete(k);
    this.routeLog.push(`${add ? '+' : '-'}rule ${k}`);
  }
  /** the vmacs that exist, by name */
  readonly vmacs = new Map<string, VmacSpec>();
  /** every createVmac/deleteVmac, in order */
  readonly vmacLog: string[] = [];
  createVmac(spec: VmacSpec) {
    this.vmacLog.push(`create ${spec.name}`);
    const created = !this.vmacs.has(spec.name);
    this.vmacs.set(spec.name, spec);
    return { created };
  }
  deleteVmac(spec: VmacSpec) {
    this.vmacLog.push(`delete ${spec.name}`);
    this.vmacs.delete(spec.name);
    for (const [a, d] of this.vipDevs) if (d === spec.name) this.vips.delete(a);
  }
  garp(ifname: string, ip: string) {
    this.garps.push({ ip, at: this.clock.now(), ifname });
  }
  readonly nas: { ip: string; at: number }[] = [];
  unsolicitedNa(_ifname: string, ip: string) {
    this.nas.push({ ip, at: this.clock.now() });
  }
  /** reference addresses this host can reach */
  reachable = new Set<string>(['198.51.100.1']);
  async ping(address: string) {
    return !this.cut && this.reachable.has(address);
  }
}

/** One engine alone on a fake LAN, started: the clock, its net and the engine. */
export function soloEngine(
  config: Config,
  ip = '198.51.100.11',
  prepare: (net: FakeNet) => void = () => {},
) {
  const clock = new FakeClock();
  const net = new FakeNet(new FakeLan(), ip, clock);
  prepare(net);
  const engine = new VrrpEngine(config, {
    net,
    clock,
    scripts: { run: async () => 0 },
    log: () => {},
  });
  engine.start();
  return { clock, net, engine };
}
