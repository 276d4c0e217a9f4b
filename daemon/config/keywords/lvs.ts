// LVS: virtual_server and its real_server blocks, schedulers and forwarding
// methods. The virtual_server block itself is assembled in model.ts, where
// checker timings are resolved across virtual_server, real_server and checker.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import { kw, readInt, type Ctx, type StructOf } from '../schema';
import { CHECKERS } from './checkers';
import { addressArg, portOf, script, timer } from './values';
import { checkTunnelWords, tunnelOfBlock, type Tunnel } from './lvs-family';

export const SCHEDULERS = [
  'rr',
  'wrr',
  'lc',
  'wlc',
  'lblc',
  'lblcr',
  'dh',
  'sh',
  'mh',
  'sed',
  'nq',
  'fo',
  'ovf',
  'twos',
] as const;
export const METHODS = ['NAT', 'DR', 'TUN'] as const;

/** `NAT|DR|TUN [type ipip|gue|gre] [port P] [nocsum|csum|remcsum]`: the tunnel is read by tunnelOfBlock */
const lvsMethod = () =>
  kw.custom<(typeof METHODS)[number]>(1, 8, ([m, ...tun], stmt, ctx) => {
    const hit = METHODS.find((x) => x === m.toUpperCase());
    if (!hit) ctx.diag.error(stmt, `${stmt.keyword}: '${m}' is not one of ${METHODS.join(', ')}`);
    else checkTunnelWords(hit, tun, stmt, ctx);
    return hit;
  });

/** `<IPADDR> [<PORT>]` of real_server and sorry_server (a missing port is 0). */
function addressAndPort(args: string[], stmt: Stmt, ctx: Ctx) {
  if (!addressArg(args, stmt, ctx)) return undefined;
  const port = args[1] === undefined ? 0 : portOf(args[1], stmt, ctx);
  return port === undefined ? undefined : { address: args[0], port };
}

export const realServer = kw.block(
  {
    weight: kw.int(0, 65535).default(1),
    lvs_method: lvsMethod().alias('lb_kind').optional(),
    inhibit_on_failure: kw.flag().optional(),
    notify_up: script().optional(),
    notify_down: script().optional(),
    uthreshold: kw.int(0, 2 ** 31 - 1).optional(),
    lthreshold: kw.int(0, 2 ** 31 - 1).optional(),
    virtualhost: kw.string().optional(),
    smtp_alert: kw.flag().optional(),
    alpha: kw.flag().optional(),
    connect_timeout: timer(0.001).optional(),
    retry: kw.int(0, 1000).alias('nb_get_retry').optional(),
    delay_before_retry: timer(0).optional(),
    warmup: timer(0).optional(),
    delay_loop: timer(0.001).optional(),
    checkers: kw.tagged(CHECKERS),
  },
  {
    header: (args, stmt, ctx): { address: string; port: number; tun?: Tunnel } | undefined => {
      if (args.length < 1 || args.length > 2) {
        ctx.diag.error(stmt, 'real_server: expects <IPADDR> [<PORT>]');
        return undefined;
      }
      return addressAndPort(args, stmt, ctx);
    },
    // its own `lvs_method TUN ...`; one without its own takes the virtual server's (model.ts)
    finish: (rs, stmt) => {
      rs.tun = tunnelOfBlock(stmt);
    },
  },
);

export type VirtualServerKey =
  | { kind: 'address'; address: string; port: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

/** The keywords of a virtual_server block. */
export const virtualServerKeywords = {
  delay_loop: timer(0.001).default(60),
  lvs_sched: kw
    .oneOf(...SCHEDULERS)
    .alias('lb_algo')
    .default('wlc'),
  lvs_method: lvsMethod().alias('lb_kind').default('NAT'),
  persistence_timeout: kw
    .custom<number>(0, 1, ([v], stmt, ctx) =>
      v === undefined ? 360 : readInt(v, 1, 31 * 86400, stmt.keyword, stmt, ctx),
    )
    .default(0),
  persistence_granularity: kw.string().optional(),
  protocol: kw.oneOf('TCP', 'UDP', 'SCTP').optional(),
  /** a fwmark service's address family (an address service's must agree) */
  ip_family: kw.oneOf('inet', 'inet6').optional(),
  ha_suspend: kw.flag(),
  virtualhost: kw.string().optional(),
  alpha: kw.flag(),
  omega: kw.flag(),
  quorum: kw.int(1, 2 ** 31 - 1).default(1),
  hysteresis: kw.int(0, 2 ** 31 - 1).default(0),
  quorum_up: script().optional(),
  quorum_down: script().optional(),
  sorry_server: kw.custom(1, 2, addressAndPort).optional(),
  sorry_server_inhibit: kw.flag(),
  sorry_server_lvs_method: lvsMethod().optional(),
  connect_timeout: timer(0.001).default(5),
  retry: kw.int(0, 1000).alias('nb_get_retry').optional(),
  delay_before_retry: timer(0).optional(),
  warmup: timer(0).optional(),
  inhibit_on_failure: kw.flag(),
  smtp_alert: kw.flag().optional(),
  ops: kw.flag(),
  // IPVS scheduler flags (IP_VS_SVC_F_SCHED1..3); sh-/mh- ones only after `lvs_sched sh` / `mh`
  'flag-1': kw.flag(),
  'flag-2': kw.flag(),
  'flag-3': kw.flag(),
  'sh-port': kw.flag(),
  'sh-fallback': kw.flag(),
  'mh-port': kw.flag(),
  'mh-fallback': kw.flag(),
  /** IPVS persistence engine (the kernel has `sip`); used with persistence_timeout only */
  persistence_engine: kw
    .string((v) =>
      v.length > 15 ? `persistence_engine ${v}: longer than 15 characters` : undefined,
    )
    .optional(),
  real_server: realServer.many(),
};

/** `virtual_server <IPADDR> [<PORT>] | fwmark <INT> | group <NAME> {` */
export function virtualServerKey(args: string[], stmt: Stmt, ctx: Ctx): VsHeader | undefined {
  if (args[0] === 'fwmark' || args[0] === 'group') {
    if (args.length !== 2) {
      ctx.diag.error(stmt, `virtual_server ${args[0]}: expects one value`);
      return undefined;
    }
    if (args[0] === 'group') return { key: { kind: 'group', group: args[1] } };
    const m = readInt(args[1], 1, 2 ** 32 - 1, 'virtual_server fwmark', stmt, ctx);
    return m === undefined ? undefined : { key: { kind: 'fwmark', fwmark: m } };
  }
  if (args.length < 1 || args.length > 2) {
    ctx.diag.error(stmt, 'virtual_server: expects <IPADDR> [<PORT>] | fwmark <INT> | group <NAME>');
    return undefined;
  }
  if (!addressArg(args, stmt, ctx)) return undefined;
  const port = args[1] === undefined ? 0 : portOf(args[1], stmt, ctx);
  return port === undefined ? undefined : { key: { kind: 'address', address: args[0], port } };
}

/** The header's key, and what finish() derives: the tunnels and the family (model.ts) */
interface VsHeader {
  key: VirtualServerKey;
  /** `lvs_method TUN ...` of the virtual server, and of its sorry server */
  tun?: Tunnel;
  sorry_tun?: Tunnel;
  /** 4 or 6; undefined for a group (its entries decide) */
  family?: 4 | 6;
}

export type VirtualServer = StructOf<typeof virtualServerKeywords> & VsHeader & { at: Position };

/** Once the block is read: default the protocol, check persistence_granularity. */
export function checkVirtualServer(vs: VirtualServer, stmt: Stmt, ctx: Ctx) {
  if (vs.protocol === undefined && vs.key.kind !== 'fwmark') {
    // keepalived 2.2.7 silently picks UDP here; a TCP default is what operators mean, but say so
    ctx.diag.warn(
      stmt,
      'virtual_server: no protocol set; using TCP (keepalived 2.2.7 would use UDP), set it explicitly',
    );
    vs.protocol = 'TCP';
  }
  // keepalived: one-packet scheduling is for UDP (or a fwmark) only
  if (vs.ops && vs.key.kind !== 'fwmark' && vs.protocol !== 'UDP') {
    ctx.diag.warn(stmt, 'virtual_server: one packet scheduling requires UDP - resetting');
    vs.ops = false;
  }
  schedulerFlags(vs, stmt, ctx);
  if (vs.persistence_granularity !== undefined && !isNetmask(vs.persistence_granularity))
    ctx.diag.error(
      stmt.block?.find((c) => c.keyword === 'persistence_granularity') ?? stmt,
      `persistence_granularity ${vs.persistence_granularity}: expects a netmask such as 255.255.255.0`,
    );
}

/** A dotted IPv4 netmask (contiguous ones) or a prefix length. */
function isNetmask(m: string): boolean {
  if (/^\/?\d{1,3}$/.test(m)) return Number(m.replace('/', '')) <= 128;
  const o = m.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const n = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  return ((~n >>> 0) & ((~n >>> 0) + 1)) === 0; // the zeros are all at the end
}

/** IP_VS_SVC_F_SCHED1..3: sh/mh-fallback are SCHED1, sh/mh-port SCHED2 (include/uapi/linux/ip_vs.h) */
export const SCHED_FLAG = { 1: 0x8, 2: 0x10, 3: 0x20 } as const;

/** The IP_VS_SVC_F_SCHED* bits a virtual server asks for. */
export function schedFlagBits(vs: VirtualServer): number {
  return (
    (vs['flag-1'] || vs['sh-fallback'] || vs['mh-fallback'] ? SCHED_FLAG[1] : 0) |
    (vs['flag-2'] || vs['sh-port'] || vs['mh-port'] ? SCHED_FLAG[2] : 0) |
    (vs['flag-3'] ? SCHED_FLAG[3] : 0)
  );
}

/**
 * sorry_server_inhibit counts only after sorry_server (check_parser.c ssvri_handler).
 * keepalived (check_parser.c lbflags_handler) takes sh-port / sh-fallback only
 * while the scheduler read so far is sh, mh-port / mh-fallback only while it
 * is mh; otherwise "KEYWORD only applies to sh scheduler - ignoring". Same
 * here, in the order of the block.
 */
function schedulerFlags(vs: VirtualServer, stmt: Stmt, ctx: Ctx) {
  let sched = '';
  let sorry = false;
  const taken = new Set<string>();
  for (const s of stmt.block ?? []) {
    if (s.keyword === 'sorry_server') sorry = true;
    if (s.keyword === 'sorry_server_inhibit' && !sorry && vs.sorry_server_inhibit) {
      ctx.diag.warn(s, 'Ignoring sorry_server inhibit used before or without sorry_server');
      vs.sorry_server_inhibit = false;
    }
    if (s.keyword === 'lvs_sched' || s.keyword === 'lb_algo') sched = s.args[0]?.text ?? '';
    const m = /^(sh|mh)-(port|fallback)$/.exec(s.keyword);
    if (!m) continue;
    const k = s.keyword as 'sh-port' | 'sh-fallback' | 'mh-port' | 'mh-fallback';
    if (sched === m[1]) {
      taken.add(k);
      continue;
    }
    ctx.diag.warn(
      s,
      sched === 'sh' || sched === 'mh'
        ? `${k} only applies to the ${m[1]} scheduler (lvs_sched is ${sched}) - ignoring`
        : `${k} only applies to ${m[1]} scheduler - ignoring (set lvs_sched ${m[1]} before it)`,
    );
  }
  for (const k of ['sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'] as const)
    if (!taken.has(k)) vs[k] = false;
}
