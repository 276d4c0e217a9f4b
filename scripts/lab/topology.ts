// The lab as data: which namespaces, links and addresses exist. Pure: no I/O,
// so the shape of the lab and the overlap guard are unit-tested directly.

export type Role = 'director' | 'realserver' | 'client' | 'gateway';

export interface Segment {
  /** bridge name inside the switch namespace */
  bridge: string;
  /** IPv4 network, e.g. 198.51.100.0/24 */
  cidr: string;
}

export interface HostIface {
  /** interface name inside the host namespace (lan0, lan1) */
  name: string;
  /** peer name inside the switch namespace (the host's "switch port") */
  port: string;
  segment: number;
  address: string;
  prefix: number;
}

export interface LabHost {
  name: string;
  role: Role;
  ns: string;
  ifaces: HostIface[];
  /** runs the small HTTP service answering with its own name */
  http: boolean;
}

export interface LabOptions {
  /** namespace prefix; namespaces are `${prefix}-${host}` */
  prefix: string;
  /** number of real servers (rs1..rsN) */
  realServers: number;
  /** primary segment, default 198.51.100.0/24 */
  subnet: string;
  /** second segment for redundant heartbeat paths, default 203.0.113.0/24 */
  subnet2: string;
}

export interface Topology {
  prefix: string;
  segments: Segment[];
  switchNs: string;
  /** the operator's namespace: pulumi, ssh clients and verifiers run here */
  opsNs: string;
  opsAddress: string;
  hosts: LabHost[];
}

export const DEFAULTS: LabOptions = {
  prefix: 'lab',
  realServers: 2,
  subnet: '198.51.100.0/24',
  subnet2: '203.0.113.0/24',
};

/** Host octets on the primary segment; the VIP (.10) stays free for the directors. */
export const HOST_OCTET = { gw: 1, d1: 11, d2: 12, cl: 100, ops: 250, rsBase: 20 } as const;
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

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
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
  });
  const lan1 = (h: string, octet: number): HostIface => ({
    name: 'lan1',
    port: `${h}-b`,
    segment: 1,
    address: hostAddress(o.subnet2, octet),
    prefix: p2,
  });
  const hosts: LabHost[] = [
    { name: 'gw', role: 'gateway', ns: ns('gw'), ifaces: [lan0('gw', HOST_OCTET.gw)], http: false },
    ...(['d1', 'd2'] as const).map((d) => ({
      name: d,
      role: 'director' as const,
      ns: ns(d),
      ifaces: [lan0(d, HOST_OCTET[d]), lan1(d, HOST_OCTET[d])],
      http: false,
    })),
    ...Array.from({ length: o.realServers }, (_, i) => {
      const name = `rs${i + 1}`;
      return {
        name,
        role: 'realserver' as const,
        ns: ns(name),
        ifaces: [lan0(name, HOST_OCTET.rsBase + i + 1)],
        http: true,
      };
    }),
    { name: 'cl', role: 'client', ns: ns('cl'), ifaces: [lan0('cl', HOST_OCTET.cl)], http: false },
  ];
  return {
    prefix: o.prefix,
    segments: [
      { bridge: 'br0', cidr: o.subnet },
      { bridge: 'br1', cidr: o.subnet2 },
    ],
    switchNs: ns('sw'),
    opsNs: ns('ops'),
    opsAddress: hostAddress(o.subnet, HOST_OCTET.ops),
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
  const overlap = (a: string, b: string) => {
    const x = parseCidr(a);
    const y = parseCidr(b);
    const p = Math.min(x.prefix, y.prefix);
    const m = maskOf(p);
    return (x.base & m) >>> 0 === (y.base & m) >>> 0;
  };
  for (const seg of segments) {
    for (const a of root.addresses) {
      if (overlap(seg, a)) hits.push(`${seg} overlaps address ${a} of the root namespace`);
    }
    for (const r of root.routes) {
      if (parseCidr(r).prefix === 0) continue;
      if (overlap(seg, r)) hits.push(`${seg} overlaps route ${r} of the root namespace`);
    }
  }
  return hits;
}

/** The host called `name`; throws naming the hosts there are. */
export function hostNamed(topo: Topology, name: string): LabHost {
  const h = topo.hosts.find((x) => x.name === name);
  if (!h)
    throw new Error(`lab: no host "${name}" (hosts: ${topo.hosts.map((x) => x.name).join(', ')})`);
  return h;
}
