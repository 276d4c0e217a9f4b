// What `lab status` reports, and its table for people.

export interface HostStatus {
  name: string;
  role: string;
  ns: string;
  addresses: string[];
  holder: boolean;
  sshd: boolean;
  http: boolean | null;
}

export interface LabStatus {
  prefix: string;
  dir: string;
  up: boolean;
  hosts: HostStatus[];
  cuts: string[];
  /** active-active: the upstream router's kernel route to the VIP */
  router?: RouterRoute;
}

/** The router's route to the VIP: one next hop per announcing director (ECMP). */
export interface RouterRoute {
  host: string;
  vip: string;
  /** next-hop addresses, in the kernel's order; empty: no route */
  nextHops: string[];
  /** who installed it (bird), when there is one */
  protocol?: string;
}

interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
  nexthops?: { gateway?: string }[];
}

/** Parse `ip -j route show VIP` (one route, single path or multipath) into its next hops. */
export function parseVipRoute(host: string, vip: string, json: string): RouterRoute {
  const routes = JSON.parse(json || '[]') as IpRoute[];
  const r = routes.find((x) => x.dst === vip || x.dst === `${vip}/32`);
  if (!r) return { host, vip, nextHops: [] };
  const hops = r.nexthops ? r.nexthops.map((h) => h.gateway ?? '?') : [r.gateway ?? 'direct'];
  return { host, vip, nextHops: hops, ...(r.protocol ? { protocol: r.protocol } : {}) };
}

/** One line on the router's route: how many equal-cost paths, through whom. */
export function formatRouterRoute(r: RouterRoute, names: Record<string, string> = {}): string {
  if (r.nextHops.length === 0)
    return `router ${r.host}: no route to the VIP ${r.vip} (not deployed, or no director announces it)`;
  const hops = r.nextHops.map((a) => (names[a] ? `${names[a]} ${a}` : a)).join(', ');
  const kind = r.nextHops.length > 1 ? `${r.nextHops.length} equal-cost next hops` : '1 next hop';
  return `router ${r.host}: VIP ${r.vip} via ${hops} (${kind}${r.protocol ? `, from ${r.protocol}` : ''})`;
}

export function formatStatus(s: LabStatus): string {
  const yes = (b: boolean | null) => (b === null ? '-' : b ? 'up' : 'DOWN');
  const rows = [
    ['HOST', 'ROLE', 'NAMESPACE', 'SSHD', 'HTTP', 'ADDRESSES'],
    ...s.hosts.map((h) => [
      h.name,
      h.role,
      h.ns,
      h.holder ? yes(h.sshd) : 'DOWN',
      yes(h.http),
      h.addresses.join(', '),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
  return [
    `lab "${s.prefix}" is ${s.up ? 'UP' : 'DOWN'} (${s.dir})`,
    ...lines,
    s.cuts.length ? `cuts: ${s.cuts.join('; ')}` : 'cuts: none',
    ...(s.router ? [formatRouterRoute(s.router, addressNames(s.hosts))] : []),
  ].join('\n');
}

/** Host names by their addresses (`198.51.100.11` -> d1), for naming next hops. */
function addressNames(hosts: HostStatus[]): Record<string, string> {
  return Object.fromEntries(
    hosts.flatMap((h) => h.addresses.map((a) => [a.split('/')[0], h.name] as const)),
  );
}
