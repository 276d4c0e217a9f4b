// The VRRP sections: vrrp_instance (with keepalive-ts's split-brain
// defences), vrrp_sync_group and vrrp_script.
import type { Stmt } from '../ast';
import { kw, readInt, type Ctx } from '../schema';
import { tracked, unicastPeer, vipLine } from './lines';
import { garpExtraIf, ip, script, timer, userAndGroup } from './values';

/** Header of a named block: `vrrp_instance NAME {`. */
const named = (what: string) => (args: string[], stmt: Stmt, ctx: Ctx) => {
  if (args.length !== 1) {
    ctx.diag.error(stmt, `${what}: expects one name`);
    return undefined;
  }
  return { name: args[0] };
};

/** keepalived keeps the first 8 characters of auth_pass. */
export const AUTH_PASS_MAX = 8;

export const vrrpInstance = kw.block(
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
    /** `NAME [weight N [reverse|noreverse]]`: a bfd_instance's session (its weight when none given) */
    track_bfd: kw.lines(tracked),
    dont_track_primary: kw.flag(),
    notify: script().optional(),
    notify_master: script().optional(),
    notify_backup: script().optional(),
    notify_fault: script().optional(),
    notify_stop: script().optional(),
    notify_master_rx_lower_pri: script().optional(),
    smtp_alert: kw.flag().optional(),
    garp_master_delay: kw.int(0, 86400).optional(),
    garp_master_repeat: kw.int(1, 10000).optional(),
    garp_lower_prio_delay: kw.int(0, 86400).optional(),
    garp_lower_prio_repeat: kw.int(0, 10000).optional(),
    garp_master_refresh: kw.int(0, 86400).optional(),
    garp_master_refresh_repeat: kw.int(1, 10000).optional(),
    garp_extra_if: garpExtraIf().optional(),
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

export const vrrpSyncGroup = kw.block(
  {
    group: kw.lines(([name], stmt) => ({ name, at: { file: stmt.file, line: stmt.line } })),
    notify: script().optional(),
    notify_master: script().optional(),
    notify_backup: script().optional(),
    notify_fault: script().optional(),
    notify_stop: script().optional(),
    track_script: kw.lines(tracked),
    track_interface: kw.lines(tracked),
    track_bfd: kw.lines(tracked),
    smtp_alert: kw.flag().optional(),
    sync_group_tracking_weight: kw.flag(),
  },
  { header: named('vrrp_sync_group') },
);

export const vrrpScript = kw.block(
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
    user: userAndGroup().optional(),
    init_fail: kw.flag(),
  },
  {
    header: named('vrrp_script'),
    finish: (v, stmt, ctx) => {
      if (!v.script) ctx.diag.error(stmt, `vrrp_script ${v.name}: no 'script' given`);
    },
  },
);

/** garp_group: GARP/NA spacing for an interface, or shared by a group of them. */
export const garpGroup = kw.block(
  {
    garp_interval: timer(0, 86400).optional(),
    gna_interval: timer(0, 86400).optional(),
    interface: kw.string().optional(),
    interfaces: kw.lines(([name]) => name),
  },
  {
    finish: (gg, stmt, ctx) => {
      if (!gg.interface && !gg.interfaces.length)
        ctx.diag.error(stmt, 'garp_group: needs interface or interfaces');
      else if (gg.interface && gg.interfaces.length)
        ctx.diag.error(stmt, 'garp_group: only one of interface or interfaces');
    },
  },
);
