// The small interfaces between the VRRP engine and the world. The engine is
// tested against fakes of these; linux.ts implements them with real sockets.
// (Clock and Timer are in core/clock.ts.)
import type { Route, Rule } from '../core/route';

export type { Route, Rule } from '../core/route';

export interface Channel {
  /** send one VRRP message (the IP payload) to `dst`, or to all of the channel's destinations when empty */
  send(vrrp: Uint8Array, dst?: string): void;
  close(): void;
}

/** A raw IP channel of one protocol on one interface (VRRP: protocol 112, TTL 255). */
export interface ChannelOptions {
  ifname: string;
  /** IP protocol number of the raw socket */
  protocol: number;
  /** TTL (hop limit) of what is sent; absent: the kernel's default */
  ttl?: number;
  /** multicast group (used when there are no unicast peers) */
  group: string;
  /** source address: unicast_src_ip, else the interface's primary address (IPv6: link-local); its family is the channel's */
  src: string;
  unicastPeers: string[];
  /** SO_RCVBUF: bytes, or times the interface's MTU (vrrp_rx_bufs_policy); absent: 1 MiB */
  rcvbuf?: { bytes: number } | { mtuTimes: number };
}

export interface Vip {
  address: string;
  prefix: number;
  dev: string;
  brd?: string;
  label?: string;
  scope?: string;
  /** IPv6: no duplicate address detection */
  nodad?: boolean;
  /** IPv6: preferred lifetime, s (0 = deprecated) */
  preferredLft?: number;
  peer?: string;
  /** IFA_F_* flags */
  flags?: number;
}

/** A VRRP virtual MAC interface: a private-mode macvlan (keepalived's use_vmac). */
export interface VmacSpec {
  /** its name, e.g. vrrp.51 */
  name: string;
  /** the interface it sits on */
  base: string;
  /** 00:00:5e:00:01:VRID (IPv4), 00:00:5e:00:02:VRID (IPv6), or the configured one */
  mac: string;
  /** the family of the addresses it carries: IPv4 gets keepalived's ARP sysctls */
  family: 4 | 6;
  /** IPv6 stays on (an IPv6 vmac, or an IPv4 one with eVIPs of the other family); else disable_ipv6 */
  ipv6: boolean;
  /** a link-local address to add (no DAD): the source of IPv6 adverts sent on it */
  linkLocal?: string;
}

export interface NetIO {
  /** the interface's primary IPv4 address (first configured), or its IPv6 link-local address */
  primaryIp(ifname: string, family?: 4 | 6): string | undefined;
  /** is the interface up (operstate up/unknown)? */
  linkUp(ifname: string): boolean;
  /** the interface's index, 0 when it does not exist */
  interfaceIndex(name: string): number;
  /** is this address configured on the host (any interface)? */
  hasAddress(ip: string): boolean;
  /** read a sysctl (net/ipv4/conf/eth0/...), and write it when `value` is given; the value before */
  sysctl(key: string, value?: string): string | undefined;
  /** call onChange whenever some link or address may have changed (no polling: kernel events) */
  watchLinks(onChange: () => void): { close(): void };
  openChannel(o: ChannelOptions, onPacket: (packet: Uint8Array) => void): Channel;
  setVip(add: boolean, vip: Vip): void;
  /** add (EEXIST is success) or remove (ESRCH/ENOENT is success) a route */
  setRoute(add: boolean, route: Route): void;
  /** add (EEXIST is success) or remove (ENOENT is success) a policy rule */
  setRule(add: boolean, rule: Rule): void;
  garp(ifname: string, ip: string): void;
  /** IPv6's gratuitous ARP: an unsolicited neighbour advertisement for `ip` */
  unsolicitedNa(ifname: string, ip: string): void;
  /**
   * Create (or adopt: same base and MAC) the vmac, set keepalived's sysctls and
   * bring it up. Returns whether it was made here; throws when it cannot be had.
   */
  createVmac(spec: VmacSpec): { created: boolean };
  /** Remove a vmac made by createVmac and put back the sysctls it changed. */
  deleteVmac(spec: VmacSpec): void;
  /** ICMP echo to `address`: true when a reply arrives within timeoutMs */
  ping(address: string, timeoutMs: number): Promise<boolean>;
}
