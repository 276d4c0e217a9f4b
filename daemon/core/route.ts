// Routes and policy rules as the kernel takes them (rtnetlink's RTM_*ROUTE
// and FIB rule messages), with every name already resolved to its number.
// The config reads keepalived's lines into these; NetIO installs them.
import type { Family } from './address';

/** an address with a prefix length; `address` undefined = default/any/all (length 0) */
export interface Prefix {
  address?: string;
  len: number;
}

/** RTAX_* route metrics (RTA_METRICS), by their kernel number */
export const RTAX = {
  lock: 1,
  mtu: 2,
  window: 3,
  rtt: 4,
  rttvar: 5,
  ssthresh: 6,
  cwnd: 7,
  advmss: 8,
  reordering: 9,
  hoplimit: 10,
  initcwnd: 11,
  features: 12,
  rto_min: 13,
  initrwnd: 14,
  quickack: 15,
  cc_algo: 16,
  fastopen_no_cookie: 17,
} as const;
export type RouteMetric = Exclude<keyof typeof RTAX, 'lock' | 'cc_algo'>;

export interface Nexthop {
  via?: string;
  dev?: string;
  /** 1..256 as written (the kernel's rtnh_hops is weight - 1) */
  weight?: number;
  /** RTNH_F_* flags (onlink = 4) */
  flags?: number;
  realms?: number;
}

export interface Route {
  family: Family;
  dst: Prefix;
  /** `from` (IPv6 source routing: RTA_SRC) */
  src?: Prefix;
  /** `src` (RTA_PREFSRC) */
  prefsrc?: string;
  via?: string;
  dev?: string;
  /** 0..2^32-1; above 255 it goes in RTA_TABLE */
  table: number;
  metric?: number;
  /** RT_SCOPE_*; absent: universe on add, nowhere (any) on delete */
  scope?: number;
  /** RTPROT_* */
  protocol: number;
  /** RTN_*; absent: unicast on add, any on delete */
  type?: number;
  tos?: number;
  /** RTNH_F_* (onlink) */
  flags?: number;
  realms?: number;
  /** IPv6: seconds (RTA_EXPIRES) */
  expires?: number;
  /** IPv6 router preference (RTA_PREF) */
  pref?: number;
  metrics?: Partial<Record<RouteMetric, number>>;
  /** bit per RTAX_* number: the metric is locked */
  lock?: number;
  congctl?: string;
  nexthops?: Nexthop[];
  /** keepalived's default prepend (NLM_F_CREATE), `add` (+EXCL), `append` (+APPEND) */
  mode?: 'prepend' | 'add' | 'append';
}

/** FR_ACT_* */
export const FR_ACT = { to_tbl: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 };

export interface Rule {
  family: Family;
  from?: Prefix;
  to?: Prefix;
  /** FR_ACT_* */
  action: number;
  table?: number;
  goto?: number;
  priority: number;
  invert?: boolean;
  tos?: number;
  fwmark?: number;
  fwmask?: number;
  realms?: number;
  suppressPrefixlen?: number;
  suppressIfgroup?: number;
  iif?: string;
  oif?: string;
  /** FRA_TUN_ID, decimal (u64) */
  tunId?: string;
  uidrange?: [number, number];
  l3mdev?: boolean;
  protocol?: number;
  ipproto?: number;
  sport?: [number, number];
  dport?: [number, number];
}

const pfx = (p: Prefix | undefined) => (p ? `${p.address ?? 'default'}/${p.len}` : '');

/** a short text for logs: `10.1.0.0/16 via 10.0.0.1 dev eth0 table 100` */
export function describeRoute(r: Route): string {
  return [
    pfx(r.dst),
    r.via ? `via ${r.via}` : '',
    r.dev ? `dev ${r.dev}` : '',
    r.table !== 254 ? `table ${r.table}` : '',
    r.nexthops?.length ? `(${r.nexthops.length} nexthops)` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function describeRule(r: Rule): string {
  return [
    `pref ${r.priority}`,
    r.invert ? 'not' : '',
    r.from ? `from ${pfx(r.from)}` : '',
    r.to ? `to ${pfx(r.to)}` : '',
    r.table !== undefined ? `table ${r.table}` : `action ${r.action}`,
  ]
    .filter(Boolean)
    .join(' ');
}
