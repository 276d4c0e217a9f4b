// The keepalived.conf keywords keepalive-ts understands, declared once.
// Types come from these declarations (Infer<>); defaults are keepalived's
// documented ones (keepalived.conf(5), 2.2.x).
import { isIP } from 'node:net';
import type { Position } from './diagnostics';
import type { Stmt } from './ast';
import { kw, readInt, type Ctx, type Infer, type StructField, type TaggedOf } from './schema';

const ip = (v: string) => (isIP(v) ? undefined : `'${v}' is not an IP address`);

const addressArg = (args: string[], stmt: Stmt, ctx: Ctx): string | undefined => {
  const problem = ip(args[0]);
  if (problem) ctx.diag.error(stmt, `${stmt.keyword}: ${problem}`);
  return problem ? undefined : args[0];
};

const portOf = (text: string, stmt: Stmt, ctx: Ctx) =>
  readInt(text, 0, 65535, stmt.keyword, stmt, ctx);

/** `notify_master "/path/script arg" [user [group]]` and friends. */
export interface ScriptRef {
  cmd: string;
  user?: string;
  group?: string;
}
const script = () =>
  kw.custom<ScriptRef>(1, 3, ([cmd, user, group]) => ({
    cmd,
    ...(user ? { user } : {}),
    ...(group ? { group } : {}),
  }));

/** Timers are seconds, fractions allowed (keepalived <TIMER>). */
const timer = (min = 0, max = 31 * 86400) => kw.number(min, max);

// ---------------------------------------------------------------- global_defs

export const LVS_BACKENDS = ['auto', 'ipvs', 'nftables'] as const;

const globalDefs = kw.block({
  router_id: kw.string().optional(),
  notification_email: kw.lines(([addr]) => addr),
  notification_email_from: kw.string().optional(),
  smtp_server: kw
    .custom(1, 2, ([addr, port], stmt, ctx) => {
      if (!addressArg([addr], stmt, ctx)) return undefined;
      const p = port === undefined ? 25 : portOf(port, stmt, ctx);
      return p === undefined ? undefined : { address: addr, port: p };
    })
    .optional(),
  smtp_connect_timeout: kw.int(1, 3600).default(30),
  enable_script_security: kw.flag(),
  script_user: kw
    .custom(1, 2, ([user, group]) => ({ user, ...(group ? { group } : {}) }))
    .optional(),
  vrrp_version: kw.int(2, 3).default(2),
  vrrp_mcast_group4: kw.string(ip).default('224.0.0.18'),
  vrrp_garp_master_delay: kw.int(0, 86400).default(5),
  vrrp_garp_master_repeat: kw.int(1, 10000).default(5),
  vrrp_garp_lower_prio_delay: kw.int(0, 86400).optional(),
  vrrp_garp_lower_prio_repeat: kw.int(0, 10000).optional(),
  vrrp_garp_master_refresh: kw.int(0, 86400).default(0),
  vrrp_garp_master_refresh_repeat: kw.int(1, 10000).default(1),
  vrrp_garp_interval: timer(0, 1).default(0),
  vrrp_higher_prio_send_advert: kw.flag(),
  vrrp_lower_prio_no_advert: kw.flag(),
  vrrp_strict: kw.flag(),
  vrrp_skip_check_adv_addr: kw.flag(),
  vrrp_check_unicast_src: kw.flag(),
  vrrp_notify_fifo: kw.string().optional(),
  notify_fifo: kw.string().optional(),
  dynamic_interfaces: kw.flag(),
  max_auto_priority: kw.int(-1, 99).default(0),
  lvs_flush: kw.flag(),
  lvs_flush_on_stop: kw.flag(),
  // keepalive-ts extensions (keepalived warns about them as unknown keywords)
  /** dataplane: auto = IPVS when the kernel has it, else nftables */
  lvs_backend: kw.oneOf(...LVS_BACKENDS).default('auto'),
  /** VRRPv3 IPv4 checksum: keepalived's pseudo-header form, or RFC 9568's (no pseudo-header) */
  vrrp_v3_checksum: kw.oneOf('keepalived', 'rfc9568').default('keepalived'),
  /** Prometheus metrics listen address, e.g. 127.0.0.1:9650 (off when absent) */
  metrics_listen: kw.string().optional(),
});

// ---------------------------------------------------------------- vrrp

const VIP_OPTIONS = new Set(['brd', 'dev', 'scope', 'label', 'peer', 'preferred_lft']);
const VIP_FLAGS = new Set([
  'no_track',
  'home',
  '-nodad',
  'nodad',
  'mngtmpaddr',
  'noprefixroute',
  'autojoin',
  'use_vmac',
]);
const SCOPES = ['site', 'link', 'host', 'nowhere', 'global'];

export interface VirtualAddress {
  address: string;
  prefix: number;
  brd?: string;
  dev?: string;
  scope?: string;
  label?: string;
  no_track?: boolean;
  at: Position;
}

function vipLine(words: string[], stmt: Stmt, ctx: Ctx): VirtualAddress | undefined {
  const [spec, ...rest] = words;
  const [address, mask] = spec.split('/');
  const family = isIP(address);
  if (!family) {
    ctx.diag.error(stmt, `virtual_ipaddress: '${address}' is not an IP address`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  const prefix = mask === undefined ? max : readInt(mask, 0, max, 'virtual_ipaddress', stmt, ctx);
  if (prefix === undefined) return undefined;
  const v: VirtualAddress = { address, prefix, at: { file: stmt.file, line: stmt.line } };
  for (let i = 0; i < rest.length; i++) {
    const o = rest[i];
    if (VIP_FLAGS.has(o)) {
      if (o === 'no_track') v.no_track = true;
      continue;
    }
    if (!VIP_OPTIONS.has(o) || rest[i + 1] === undefined) {
      ctx.diag.error(stmt, `virtual_ipaddress: unknown option '${o}'`);
      return undefined;
    }
    const val = rest[++i];
    if (o === 'brd' || o === 'peer') {
      if (!isIP(val)) {
        ctx.diag.error(stmt, `virtual_ipaddress: ${o} '${val}' is not an IP address`);
        return undefined;
      }
      if (o === 'brd') v.brd = val;
    } else if (o === 'dev') v.dev = val;
    else if (o === 'label') v.label = val;
    else if (o === 'scope') {
      if (!SCOPES.includes(val) && !/^\d+$/.test(val)) {
        ctx.diag.error(
          stmt,
          `virtual_ipaddress: scope '${val}' is not one of ${SCOPES.join(', ')}`,
        );
        return undefined;
      }
      v.scope = val;
    }
  }
  return v;
}

/** `NAME [weight N [reverse]]` lines of track_script / track_interface. */
function tracked(words: string[], stmt: Stmt, ctx: Ctx) {
  const [name, ...rest] = words;
  const out: { name: string; weight?: number; reverse?: boolean; at: Position } = {
    name,
    at: { file: stmt.file, line: stmt.line },
  };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === 'weight' && rest[i + 1] !== undefined) {
      const w = readInt(rest[++i], -254, 254, 'weight', stmt, ctx);
      if (w === undefined) return undefined;
      out.weight = w;
    } else if (rest[i] === 'reverse') out.reverse = true;
    else {
      ctx.diag.error(stmt, `'${name}': unexpected '${rest[i]}' (expected: weight N [reverse])`);
      return undefined;
    }
  }
  return out;
}

function unicastPeer(words: string[], stmt: Stmt, ctx: Ctx) {
  const [address, ...rest] = words;
  if (!isIP(address)) {
    ctx.diag.error(stmt, `unicast_peer: '${address}' is not an IP address`);
    return undefined;
  }
  const out: { address: string; min_ttl?: number; max_ttl?: number; at: Position } = {
    address,
    at: { file: stmt.file, line: stmt.line },
  };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    if ((k !== 'min_ttl' && k !== 'max_ttl') || rest[i + 1] === undefined) {
      ctx.diag.error(stmt, `unicast_peer: unexpected '${k}'`);
      return undefined;
    }
    const n = readInt(rest[i + 1], 0, 255, k, stmt, ctx);
    if (n === undefined) return undefined;
    out[k] = n;
  }
  return out;
}

const named = (what: string) => (args: string[], stmt: Stmt, ctx: Ctx) => {
  if (args.length !== 1) {
    ctx.diag.error(stmt, `${what}: expects one name`);
    return undefined;
  }
  return { name: args[0] };
};

export const AUTH_PASS_MAX = 8;

const vrrpInstance = kw.block(
  {
    state: kw
      .custom<'MASTER' | 'BACKUP'>(1, 1, ([v], stmt, ctx) => {
        const s = v.toUpperCase();
        if (s === 'MASTER' || s === 'BACKUP') return s;
        if (s === 'SLAVE' || s === 'EQUAL') {
          ctx.diag.warn(stmt, `state: unknown state '${v}', using BACKUP (as keepalived does)`);
          return 'BACKUP';
        }
        ctx.diag.error(stmt, `state: '${v}' is not MASTER or BACKUP`);
        return undefined;
      })
      .default('BACKUP'),
    interface: kw.string().optional(),
    virtual_router_id: kw.int(1, 255).optional(),
    priority: kw.int(1, 255).default(100),
    advert_int: timer(0.01, 255).default(1),
    version: kw.int(2, 3).optional(),
    nopreempt: kw.flag().alias('no_preempt'),
    preempt_delay: timer(0, 1000).default(0),
    authentication: kw
      .block({
        auth_type: kw.oneOf('PASS', 'AH').optional(),
        auth_pass: kw
          .custom(1, 1, ([v], stmt, ctx) => {
            if (v.length > AUTH_PASS_MAX) {
              ctx.diag.warn(
                stmt,
                `auth_pass: longer than ${AUTH_PASS_MAX} characters, truncated to '${v.slice(0, AUTH_PASS_MAX)}'`,
              );
            }
            return v.slice(0, AUTH_PASS_MAX);
          })
          .optional(),
      })
      .optional(),
    virtual_ipaddress: kw.lines(vipLine),
    virtual_ipaddress_excluded: kw.lines(vipLine),
    unicast_src_ip: kw.string(ip).optional(),
    unicast_peer: kw.lines(unicastPeer, {
      emptyWarning: 'empty list: no peer will hear this node (multicast is not used either)',
    }),
    unicast_ttl: kw.int(0, 255).optional(),
    mcast_src_ip: kw.string(ip).optional(),
    track_interface: kw.lines(tracked),
    track_script: kw.lines(tracked),
    dont_track_primary: kw.flag(),
    notify: script().optional(),
    notify_master: script().optional(),
    notify_backup: script().optional(),
    notify_fault: script().optional(),
    notify_stop: script().optional(),
    notify_master_rx_lower_pri: script().optional(),
    smtp_alert: kw.flag(),
    garp_master_delay: kw.int(0, 86400).optional(),
    garp_master_repeat: kw.int(1, 10000).optional(),
    garp_lower_prio_delay: kw.int(0, 86400).optional(),
    garp_lower_prio_repeat: kw.int(0, 10000).optional(),
    garp_master_refresh: kw.int(0, 86400).optional(),
    garp_master_refresh_repeat: kw.int(1, 10000).optional(),
    higher_prio_send_advert: kw.flag().optional(),
    lower_prio_no_advert: kw.flag().optional(),
    down_timer_adverts: kw.int(1, 100).default(3),
    accept: kw.flag(),
    no_accept: kw.flag(),
    strict_mode: kw.flag().optional(),
    check_unicast_src: kw.flag(),
    debug: kw.custom(0, 1, () => true).optional(),
    // keepalive-ts split-brain defences (keepalived warns about these as unknown keywords)
    /** reference-IP guard: FAULT (VIPs released) while the reference does not answer ICMP echo */
    track_reference: kw
      .block({
        address: kw.string(ip).optional(),
        interval: timer(0.01, 3600).default(1),
        timeout: timer(0.01, 3600).default(1),
        fall: kw.int(1, 1000).default(2),
        rise: kw.int(1, 1000).default(2),
      })
      .optional(),
    /** a redundant heartbeat line: adverts go out and are heard on every path */
    heartbeat_path: kw
      .block({
        interface: kw.string().optional(),
        unicast_src_ip: kw.string(ip).optional(),
        unicast_peer: kw.lines(unicastPeer),
      })
      .many(),
    /** STONITH: run before taking over from a master that vanished without a priority-0 advert */
    fence_command: script().optional(),
    fence_timeout: timer(0.1, 3600).default(10),
    fence_policy: kw.oneOf('require', 'best-effort', 'off').optional(),
  },
  {
    header: named('vrrp_instance'),
    finish: (vi, _stmt, ctx) => {
      if (vi.track_reference && !vi.track_reference.address)
        ctx.diag.error(vi.track_reference.at, 'track_reference: address is required');
      for (const p of vi.heartbeat_path) {
        if (!p.interface) ctx.diag.error(p.at, 'heartbeat_path: interface is required');
        if (p.unicast_peer.length && !p.unicast_src_ip)
          ctx.diag.error(p.at, 'heartbeat_path: unicast_peer needs unicast_src_ip');
      }
    },
  },
);

const vrrpSyncGroup = kw.block(
  {
    group: kw.lines(([name], stmt) => ({ name, at: { file: stmt.file, line: stmt.line } })),
    notify: script().optional(),
    notify_master: script().optional(),
    notify_backup: script().optional(),
    notify_fault: script().optional(),
    notify_stop: script().optional(),
    track_script: kw.lines(tracked),
    track_interface: kw.lines(tracked),
    smtp_alert: kw.flag(),
    sync_group_tracking_weight: kw.flag(),
  },
  { header: named('vrrp_sync_group') },
);

const vrrpScript = kw.block(
  {
    script: kw.string().optional(),
    interval: timer(0.001).default(1),
    timeout: timer(0.001).optional(),
    weight: kw
      .custom(1, 2, ([w, rev], stmt, ctx) => {
        const n = readInt(w, -253, 253, 'weight', stmt, ctx);
        if (n === undefined) return undefined;
        if (rev !== undefined && rev !== 'reverse') {
          ctx.diag.error(stmt, `weight: unexpected '${rev}' (expected: reverse)`);
          return undefined;
        }
        return { value: n, reverse: rev === 'reverse' };
      })
      .default({ value: 0, reverse: false }),
    rise: kw.int(1, 1000).default(1),
    fall: kw.int(1, 1000).default(1),
    user: kw.custom(1, 2, ([user, group]) => ({ user, ...(group ? { group } : {}) })).optional(),
    init_fail: kw.flag(),
  },
  {
    header: named('vrrp_script'),
    finish: (v, stmt, ctx) => {
      if (!v.script) ctx.diag.error(stmt, `vrrp_script ${v.name}: no 'script' given`);
    },
  },
);

// ---------------------------------------------------------------- checkers

/** Options every checker shares; unset ones inherit from real_server, then virtual_server. */
const commonCheck = {
  connect_ip: kw.string(ip).optional(),
  connect_port: kw.int(0, 65535).optional(),
  bindto: kw.string(ip).optional(),
  bind_port: kw.int(0, 65535).optional(),
  bind_if: kw.string().optional(),
  fwmark: kw.int(0, 2 ** 32 - 1).optional(),
  connect_timeout: timer(0.001).optional(),
  retry: kw.int(0, 1000).alias('nb_get_retry').optional(),
  delay_before_retry: timer(0).optional(),
  warmup: timer(0).optional(),
  delay_loop: timer(0.001).optional(),
  alpha: kw.flag().optional(),
  log_all_failures: kw.flag(),
};

export interface StatusRange {
  from: number;
  to: number;
}

const statusCodes = kw.custom<StatusRange[]>(1, 64, (args, stmt, ctx) => {
  const out: StatusRange[] = [];
  for (const a of args) {
    const [x, y] = a.split('-');
    const from = readInt(x, 100, 999, 'status_code', stmt, ctx);
    const to = y === undefined ? from : readInt(y, 100, 999, 'status_code', stmt, ctx);
    if (from === undefined || to === undefined) return undefined;
    if (to < from) {
      ctx.diag.error(stmt, `status_code: range '${a}' is reversed`);
      return undefined;
    }
    out.push({ from, to });
  }
  return out;
});

const url = kw.block({
  path: kw.string().optional(),
  digest: kw
    .string((v) =>
      /^[0-9a-fA-F]{32}$/.test(v) ? undefined : `'${v}' is not an MD5 digest (32 hex digits)`,
    )
    .optional(),
  status_code: statusCodes.optional(),
  virtualhost: kw.string().optional(),
  regex: kw.string().optional(),
  regex_no_match: kw.flag(),
});

const httpCheck = {
  ...commonCheck,
  url: url.many(),
  http_protocol: kw.oneOf('1.0', '1.0C', '1.1').default('1.0'),
  virtualhost: kw.string().optional(),
  fast_recovery: kw.flag(),
  enable_sni: kw.flag(),
};

export const CHECKERS = {
  TCP_CHECK: kw.block({ ...commonCheck }),
  HTTP_GET: kw.block(httpCheck),
  SSL_GET: kw.block(httpCheck),
  MISC_CHECK: kw.block({
    ...commonCheck,
    misc_path: kw.string().optional(),
    misc_timeout: timer(0.001).optional(),
    misc_dynamic: kw.flag(),
    user: kw.custom(1, 2, ([user, group]) => ({ user, ...(group ? { group } : {}) })).optional(),
  }),
  DNS_CHECK: kw.block({
    ...commonCheck,
    /** keyword `type` (the checker's own `type` is the tag) */
    query_type: kw.oneOf('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA').as('type').default('SOA'),
    name: kw.string().default('.'),
  }),
};

export type CheckerType = keyof typeof CHECKERS;
export type Checker = TaggedOf<typeof CHECKERS>;

// ---------------------------------------------------------------- virtual_server

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

const lvsMethod = () =>
  kw.custom<(typeof METHODS)[number]>(1, 6, ([m], stmt, ctx) => {
    const hit = METHODS.find((x) => x === m.toUpperCase());
    if (!hit) ctx.diag.error(stmt, `${stmt.keyword}: '${m}' is not one of ${METHODS.join(', ')}`);
    return hit;
  });

const realServer = kw.block(
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
    header: (args, stmt, ctx) => {
      if (args.length < 1 || args.length > 2) {
        ctx.diag.error(stmt, 'real_server: expects <IPADDR> [<PORT>]');
        return undefined;
      }
      if (!addressArg(args, stmt, ctx)) return undefined;
      const port = args[1] === undefined ? 0 : portOf(args[1], stmt, ctx);
      return port === undefined ? undefined : { address: args[0], port };
    },
  },
);

export type VirtualServerKey =
  | { kind: 'address'; address: string; port: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

const virtualServer = kw.block(
  {
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
    ha_suspend: kw.flag(),
    virtualhost: kw.string().optional(),
    alpha: kw.flag(),
    omega: kw.flag(),
    quorum: kw.int(1, 2 ** 31 - 1).default(1),
    hysteresis: kw.int(0, 2 ** 31 - 1).default(0),
    quorum_up: script().optional(),
    quorum_down: script().optional(),
    sorry_server: kw
      .custom(1, 2, (args, stmt, ctx) => {
        if (!addressArg(args, stmt, ctx)) return undefined;
        const port = args[1] === undefined ? 0 : portOf(args[1], stmt, ctx);
        return port === undefined ? undefined : { address: args[0], port };
      })
      .optional(),
    sorry_server_inhibit: kw.flag(),
    sorry_server_lvs_method: lvsMethod().optional(),
    connect_timeout: timer(0.001).default(5),
    retry: kw.int(0, 1000).alias('nb_get_retry').optional(),
    delay_before_retry: timer(0).optional(),
    warmup: timer(0).optional(),
    inhibit_on_failure: kw.flag(),
    smtp_alert: kw.flag(),
    ops: kw.flag(),
    real_server: realServer.many(),
  },
  {
    header: (args, stmt, ctx): { key: VirtualServerKey } | undefined => {
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
        ctx.diag.error(
          stmt,
          'virtual_server: expects <IPADDR> [<PORT>] | fwmark <INT> | group <NAME>',
        );
        return undefined;
      }
      if (!addressArg(args, stmt, ctx)) return undefined;
      const port = args[1] === undefined ? 0 : portOf(args[1], stmt, ctx);
      return port === undefined ? undefined : { key: { kind: 'address', address: args[0], port } };
    },
    finish: (vs, stmt, ctx) => {
      if (vs.protocol === undefined && vs.key.kind !== 'fwmark') {
        // keepalived 2.2.7 silently picks UDP here; a TCP default is what operators mean, but say so
        ctx.diag.warn(
          stmt,
          'virtual_server: no protocol set; using TCP (keepalived 2.2.7 would use UDP), set it explicitly',
        );
        vs.protocol = 'TCP';
      }
      if (vs.persistence_granularity !== undefined && !isNetmask(vs.persistence_granularity))
        ctx.diag.error(
          stmt.block?.find((c) => c.keyword === 'persistence_granularity') ?? stmt,
          `persistence_granularity ${vs.persistence_granularity}: expects a netmask such as 255.255.255.0`,
        );
      resolveCheckerTimings(vs);
    },
  },
);

/** A dotted IPv4 netmask (contiguous ones) or a prefix length. */
function isNetmask(m: string): boolean {
  if (/^\/?\d{1,3}$/.test(m)) return Number(m.replace('/', '')) <= 128;
  const o = m.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const n = ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
  return ((~n >>> 0) & ((~n >>> 0) + 1)) === 0; // the zeros are all at the end
}

/** keepalived's per-type checker defaults (keepalived.conf(5)). */
export function checkerDefaults(type: CheckerType, delayLoop: number) {
  return {
    retry: type === 'DNS_CHECK' ? 3 : type === 'MISC_CHECK' ? 0 : 1,
    delay_before_retry:
      type === 'DNS_CHECK' ? delayLoop : type === 'HTTP_GET' || type === 'SSL_GET' ? 3 : 1,
  };
}

/** Fill every checker's timing from checker -> real_server -> virtual_server -> keepalived default. */
function resolveCheckerTimings(vs: Infer<typeof virtualServer>) {
  for (const rs of vs.real_server) {
    for (const c of rs.checkers) {
      const delayLoop = c.delay_loop ?? rs.delay_loop ?? vs.delay_loop;
      const d = checkerDefaults(c.type, delayLoop);
      c.delay_loop = delayLoop;
      c.connect_timeout = c.connect_timeout ?? rs.connect_timeout ?? vs.connect_timeout;
      c.retry = c.retry ?? rs.retry ?? vs.retry ?? d.retry;
      c.delay_before_retry =
        c.delay_before_retry ??
        rs.delay_before_retry ??
        vs.delay_before_retry ??
        d.delay_before_retry;
      c.warmup = c.warmup ?? rs.warmup ?? vs.warmup ?? delayLoop;
      c.alpha = c.alpha ?? rs.alpha ?? vs.alpha;
      if (c.type === 'MISC_CHECK') c.misc_timeout = c.misc_timeout ?? delayLoop;
    }
    rs.inhibit_on_failure = rs.inhibit_on_failure ?? vs.inhibit_on_failure;
    rs.lvs_method = rs.lvs_method ?? vs.lvs_method;
  }
}

// ---------------------------------------------------------------- root

/** keepalived keywords accepted without acting on them (a warning, not "unknown keyword") */
const ACCEPTED_BUT_IGNORED = [
  'snmp_socket',
  'enable_snmp_vrrp',
  'enable_snmp_checker',
  'enable_snmp_rfc',
  'enable_snmp_rfcv2',
  'enable_snmp_rfcv3',
  'enable_traps',
  'enable_dbus',
  'vrrp_iptables',
  'vrrp_ipsets',
  'nftables',
  'process_names',
  'vrrp_process_name',
  'checker_process_name',
  'linkbeat_use_polling',
  'use_vmac',
  'vmac_xmit_base',
  'native_ipv6',
  'kernel_rx_buf_size',
  'vrrp_rx_bufs_policy',
  'lvs_sync_daemon',
  'lvs_timeouts',
  'vrrp_priority',
  'checker_priority',
  'vrrp_no_swap',
  'checker_no_swap',
  'vrrp_rt_priority',
  'checker_rt_priority',
  'script_security',
];

// Declared on the root block, the ignored list holds in every block of the file.
export const configSchema = kw.block(
  {
    global_defs: globalDefs.optional(),
    vrrp_instance: vrrpInstance.many(),
    vrrp_sync_group: vrrpSyncGroup.many(),
    vrrp_script: vrrpScript.many(),
    virtual_server: virtualServer.many(),
  },
  { ignored: ACCEPTED_BUT_IGNORED },
);

export type Config = Omit<Infer<typeof configSchema>, 'global_defs'> & { global_defs: GlobalDefs };
export type GlobalDefs = Infer<typeof globalDefs>;
export type VrrpInstance = Infer<typeof vrrpInstance>;
export type VrrpSyncGroup = Infer<typeof vrrpSyncGroup>;
export type VrrpScript = Infer<typeof vrrpScript>;
export type VirtualServer = Infer<typeof virtualServer>;
export type RealServer = Infer<typeof realServer>;

export const globalDefsSchema: StructField<typeof globalDefs.shape> = globalDefs;
