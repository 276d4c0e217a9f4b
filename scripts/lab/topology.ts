// The lab as data: which namespaces, links and addresses exist. Pure: no I/O,
// so the shape of the lab and the overlap guard are unit-tested directly.
// Every segment is dual-stack: an IPv4 network and an IPv6 /64 from
// 2001:db8::/32 (documentation), host numbers alike in both (d1: .11 and ::11).
import { ipToBytes } from '../../daemon/core/address';

export type Role = 'director' | 'realserver' | 'client' | 'gateway';

export interface Segment {
  /** bridge name inside the switch namespace */
  bridge: string;
  /** IPv4 network, e.g. 198.51.100.0/24 */
  cidr: string;
  /** IPv6 network, a /64 of 2001:db8::/32, e.g. 2001:db8:0:1::/64 */
  cidr6: string;
}

export interface HostIface {
  /** interface name inside the host namespace (lan0, lan1) */
  name: string;
  /** peer name inside the switch namespace (the host's "switch port") */
  port: string;
  segment: number;
  address: string;
  prefix: number;
  /** IPv6 address on the segment's /64 */
  address6: string;
}

export interface LabHost {
  name: string;
  role: Role;
  ns: string;
  ifaces: HostIface[];
  /** runs the small HTTP service answering with its own name */
  http: boolean;
  /**
   * its own /usr and /var (overlays): packages install into this host only
   * (directors, for install: package)
   */
  privateRoot: boolean;
  /** no Node.js on it (removed from its private /usr): a stock Debian 12 director */
  nodeless: boolean;
  /** static IPv4 routes of the host (active-active: real servers and the client route via gw) */
  routes?: LabRoute[];
}

/** A static route: `ip route add TO via VIA`. */
export interface LabRoute {
  to: string;
  via: string;
}

/**
 * active-passive: the director pair (d1 d2, VRRP) with the client on the
 * directors' segment. active-active: three directors announcing the VIP by
 * BGP to gw, the upstream router, which also routes the client's own segment.
 */
export const LAB_MODES = ['active-passive', 'active-active'] as const;
export type LabMode = (typeof LAB_MODES)[number];

export interface LabOptions {
  /** namespace prefix; namespaces are `${prefix}-${host}` */
  prefix: string;
  /** number of real servers (rs1..rsN) */
  realServers: number;
  /** primary segment, default 198.51.100.0/24 */
  subnet: string;
  /** second segment for redundant heartbeat paths, default 203.0.113.0/24 */
  subnet2: string;
  /** IPv6 of the primary segment, a /64 inside 2001:db8::/32, default 2001:db8:0:1::/64 */
  subnet6: string;
  /** IPv6 of the second segment, default 2001:db8:0:2::/64 */
  subnet6b: string;
  /** directors without Node.js (e.g. ['d2']) */
  nodeless: string[];
  /** the lab's shape (default active-passive) */
  mode: LabMode;
}

export interface Topology {
  prefix: string;
  segments: Segment[];
  switchNs: string;
  /** the operator's namespace: pulumi, ssh clients and verifiers run here */
  opsNs: string;
  opsAddress: string;
  opsAddress6: string;
  /** static routes of the ops namespace (active-active: the VIP and the client's segment via gw) */
  opsRoutes: LabRoute[];
  mode: LabMode;
  hosts: LabHost[];
}

export const DEFAULTS: LabOptions = {
  prefix: 'lab',
  realServers: 2,
  nodeless: [],
  mode: 'active-passive',
  subnet: '198.51.100.0/24',
  subnet2: '203.0.113.0/24',
  subnet6: '2001:db8:0:1::/64',
  subnet6b: '2001:db8:0:2::/64',
};

/** Host octets on the primary segment; the VIP (.10) stays free for the directors. */
export const HOST_OCTET = { gw: 1, d1: 11, d2: 12, d3: 13, cl: 100, ops: 250, rsBase: 20 } as const;
export const VIP_OCTET = 10;

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const addr = ipToInt(octets.join('.'));
  return { base: (addr & maskOf(prefix)) >>> 0, prefix };
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A CIDR written as its network: 203.0.113.7/24 -> 203.0.113.0/24. */
export function networkOf(cidr: string): string {
  const { base, prefix } = parseCidr(cidr);
  return `${intToIp(base)}/${prefix}`;
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/**
 * Host `octet` on an IPv6 /64 of 2001:db8::/32, written with the same digits
 * as the IPv4 host number (d1 .11 -> ::11) so the two read alike.
 */
export function hostAddress6(cidr6: string, octet: number): string {
  const m = /^(2001:db8:[0-9a-f:]*?)::\/64$/i.exec(cidr6.trim());
  if (!m || ipToBytes(`${m[1]}::`).length !== 16)
    throw new Error(`not an IPv6 /64 of 2001:db8::/32 written as PREFIX::/64: ${cidr6}`);
  if (!Number.isInteger(octet) || octet <= 0 || octet > 9999)
    throw new Error(`host number ${octet} does not fit in ${cidr6}`);
  return `${m[1].toLowerCase()}::${octet}`;
}

/** Address number `octet` inside the network `cidr` (host part). */
export function hostAddress(cidr: string, octet: number): string {
  const { base, prefix } = parseCidr(cidr);
  if (octet <= 0 || octet >= 2 ** (32 - prefix) - 1) {
    throw new Error(`host number ${octet} does not fit in ${cidr}`);
  }
  return intToIp(base + octet);
}

export function buildTopology(opts: Partial<LabOptions> = {}): Topology {
  const o = { ...DEFAULTS, ...opts };
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(o.prefix)) throw new Error(`bad lab prefix: ${o.prefix}`);
  if (!(LAB_MODES as readonly string[]).includes(o.mode))
    throw new Error(`bad lab mode: ${o.mode} (${LAB_MODES.join(' or ')})`);
  if (!Number.isInteger(o.realServers) || o.realServers < 1 || o.realServers > 50) {
    throw new Error(`realServers must be 1..50, got ${o.realServers}`);
  }
  const p1 = parseCidr(o.subnet).prefix;
  const p2 = parseCidr(o.subnet2).prefix;
  const ns = (h: string) => `${o.prefix}-${h}`;
  const lan0 = (h: string, octet: number): HostIface => ({
    name: 'lan0',
    port: h,
    segment: 0,
    address: hostAddress(o.subnet, octet),
    prefix: p1,
    address6: hostAddress6(o.subnet6, octet),
  });
  const lan1 = (h: string, octet: number): HostIface => ({
    name: 'lan1',
    port: `${h}-b`,
    segment: 1,
    address: hostAddress(o.subnet2, octet),
    prefix: p2,
    address6: hostAddress6(o.subnet6b, octet),
  });
  const plain = { http: false, privateRoot: false, nodeless: false };
  const aa = o.mode === 'active-active';
  const gwAddress = hostAddress(o.subnet, HOST_OCTET.gw);
  const directors = aa ? (['d1', 'd2', 'd3'] as const) : (['d1', 'd2'] as const);
  const hosts: LabHost[] = [
    {
      name: 'gw',
      role: 'gateway',
      ns: ns('gw'),
      // active-active: gw routes between the directors' segment and the client's
      ifaces: aa
        ? [lan0('gw', HOST_OCTET.gw), lan1('gw', HOST_OCTET.gw)]
        : [lan0('gw', HOST_OCTET.gw)],
      ...plain,
      // active-active: the suite installs and records BIRD on gw, in gw's own /usr and /var
      privateRoot: aa,
    },
    ...directors.map((d) => ({
      name: d,
      role: 'director' as const,
      ns: ns(d),
      // active-active has no VRRP heartbeat line: the directors sit on segment 0 only
      ifaces: aa ? [lan0(d, HOST_OCTET[d])] : [lan0(d, HOST_OCTET[d]), lan1(d, HOST_OCTET[d])],
      http: false,
      privateRoot: true,
      nodeless: o.nodeless.includes(d),
    })),
    ...Array.from({ length: o.realServers }, (_, i) => {
      const name = `rs${i + 1}`;
      return {
        name,
        role: 'realserver' as const,
        ns: ns(name),
        ifaces: [lan0(name, HOST_OCTET.rsBase + i + 1)],
        ...plain,
        http: true,
        // DR: replies go straight from the real server to the client, through its router
        ...(aa ? { routes: [{ to: 'default', via: gwAddress }] } : {}),
      };
    }),
    aa
      ? {
          name: 'cl',
          role: 'client' as const,
          ns: ns('cl'),
          // the client's own segment: it reaches the VIP only through gw's ECMP route
          ifaces: [{ ...lan1('cl', HOST_OCTET.cl), name: 'lan0', port: 'cl' }],
          ...plain,
          routes: [{ to: 'default', via: hostAddress(o.subnet2, HOST_OCTET.gw) }],
        }
      : { name: 'cl', role: 'client', ns: ns('cl'), ifaces: [lan0('cl', HOST_OCTET.cl)], ...plain },
  ];
  return {
    prefix: o.prefix,
    segments: [
      { bridge: 'br0', cidr: o.subnet, cidr6: o.subnet6 },
      { bridge: 'br1', cidr: o.subnet2, cidr6: o.subnet6b },
    ],
    switchNs: ns('sw'),
    opsNs: ns('ops'),
    opsAddress: hostAddress(o.subnet, HOST_OCTET.ops),
    opsAddress6: hostAddress6(o.subnet6, HOST_OCTET.ops),
    // the operator reaches the VIP as a client would (through gw), and the client's segment
    opsRoutes: aa
      ? [
          { to: `${hostAddress(o.subnet, VIP_OCTET)}/32`, via: gwAddress },
          { to: networkOf(o.subnet2), via: gwAddress },
        ]
      : [],
    mode: o.mode,
    hosts,
  };
}

export function vipOf(topo: Topology): string {
  return hostAddress(topo.segments[0].cidr, VIP_OCTET);
}

export interface RootNet {
  /** addresses of the root namespace with their prefix, e.g. 192.0.2.2/24 */
  addresses: string[];
  /** destinations of the root namespace's routes (any table), e.g. 192.0.2.0/24 */
  routes: string[];
}

/**
 * Which root-namespace addresses or routes overlap the lab's segments.
 * A default route (/0) does not count: it overlaps everything by definition,
 * and the lab never sends through it because it never runs in the root ns.
 */
export function findOverlaps(segments: string[], root: RootNet): string[] {
  const hits: string[] = [];
  for (const seg of segments) {
    for (const a of root.addresses) {
      if (cidrsOverlap(seg, a)) hits.push(`${seg} overlaps address ${a} of the root namespace`);
    }
    for (const r of root.routes) {
      if (Number(r.split('/')[1]) === 0) continue;
      if (cidrsOverlap(seg, r)) hits.push(`${seg} overlaps route ${r} of the root namespace`);
    }
  }
  return hits;
}

/** Do two networks (either family; different families never do) share an address? */
export function cidrsOverlap(a: string, b: string): boolean {
  const [ipA, pa] = a.split('/');
  const [ipB, pb] = b.split('/');
  const x = ipToBytes(ipA);
  const y = ipToBytes(ipB);
  if (x.length !== y.length) return false;
  const bits = Math.min(Number(pa ?? x.length * 8), Number(pb ?? y.length * 8));
  for (let i = 0; i < bits; i++) {
    const bit = (v: Uint8Array) => (v[i >> 3] >> (7 - (i & 7))) & 1;
    if (bit(x) !== bit(y)) return false;
  }
  return true;
}

/** The host called `name`; throws naming the hosts there are. */
export function hostNamed(topo: Topology, name: string): LabHost {
  const h = topo.hosts.find((x) => x.name === name);
  if (!h)
    throw new Error(`lab: no host "${name}" (hosts: ${topo.hosts.map((x) => x.name).join(', ')})`);
  return h;
}
