// The VRRP sections: vrrp_instance (with keepalive-ts's split-brain
// defences), vrrp_sync_group and vrrp_script.
import { kw } from '../schema';
import { tracked, unicastPeer, vipLine } from './lines';
import { virtualRoutes, virtualRules } from './static';
import { completeInstance } from './vrrp-complete';
import { garpExtraIf, ip, script, timer, userAndGroup, type ScriptRef } from './values';
import { useVmac } from './vmac';
import { named, weightReverse } from './trackers';

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
    /** absent: 255 with state MASTER, else 100 (set by completeInstance) */
    priority: kw.int(1, 255).default(100),
    advert_int: timer(0.01, 255).default(1),
    version: kw.int(2, 3).optional(),
    /** the instance is IPv6 even before (or without) an IPv6 address */
    native_ipv6: kw.flag(),
    nopreempt: kw.flag().alias('no_preempt'),
    /** the default; after nopreempt it undoes it (the later of the two wins) */
    preempt: kw.flag(),
    preempt_delay: timer(0, 1000).default(0),
    authentication: kw
      .block({
        // keepalived's AH is IPsec AH over VRRPv2 (RFC 2338); refused rather than sent unauthenticated
        auth_type: kw
          .custom<'PASS'>(1, 1, ([v], stmt, ctx) => {
            const t = v.toUpperCase();
            if (t === 'PASS') return 'PASS';
            if (t === 'AH')
              ctx.diag.error(
                stmt,
                'auth_type AH (IPsec AH, RFC 2338) is not supported by keepalive-ts: use auth_type PASS, or VRRPv3 without authentication',
              );
            else ctx.diag.error(stmt, `auth_type: '${v}' is not PASS or AH`);
            return undefined;
          })
          .optional(),
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
    virtual_routes: virtualRoutes,
    virtual_rules: virtualRules,
    unicast_src_ip: kw.string(ip).optional(),
    unicast_peer: kw.lines(unicastPeer, {
      emptyWarning: 'empty list: no peer will hear this node (multicast is not used either)',
    }),
    unicast_ttl: kw.int(0, 255).optional(),
    mcast_src_ip: kw.string(ip).optional(),
    track_interface: kw.lines(tracked('interface')),
    track_script: kw.lines(tracked('script')),
    track_file: kw.lines(tracked('file')),
    track_process: kw.lines(tracked('process')),
    /** `NAME [weight N [reverse|noreverse]]`: a bfd_instance's session (its weight when none given) */
    track_bfd: kw.lines(tracked('bfd')),
    dont_track_primary: kw.flag(),
    /** poll the carrier of the instance's interface (keepalived: MII/ethtool) instead of netlink */
    linkbeat_use_polling: kw.flag(),
    notify: script().optional(),
    notify_master: script().optional(),
    notify_backup: script().optional(),
    notify_fault: script().optional(),
    notify_stop: script().optional(),
    notify_master_rx_lower_pri: script().optional(),
    /** DELETED (not FAULT) to the notifies when a reload removes the instance; its own script */
    notify_deleted: kw
      .custom<{
        script?: ScriptRef;
      }>(0, 3, ([cmd, user, group]) =>
        cmd ? { script: { cmd, ...(user ? { user } : {}), ...(group ? { group } : {}) } } : {},
      )
      .optional(),
    /** FIFO lines on changes of priority (unset: the sync group's, else the global one) */
    notify_priority_changes: kw.flag().optional(),
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
    /** default: global vrrp_down_timer_adverts, else 3 (vrrp/instance.ts) */
    down_timer_adverts: kw.int(1, 100).optional(),
    /** multicast destination of this instance's adverts (else vrrp_mcast_group4/6) */
    mcast_dst_ip: kw.string(ip).optional(),
    /** FAULT while the configured source address is not on the host */
    track_src_ip: kw.flag(),
    /** unicast keywords but no peer: FAULT instead of falling back to multicast */
    unicast_fault_no_peer: kw.flag(),
    /** set net.ipv4.conf.IF.promote_secondaries=1 while running (restored at stop) */
    promote_secondaries: kw.flag(),
    /** SO_RCVBUF of the instance's VRRP socket, bytes */
    kernel_rx_buf_size: kw.int(0, 1 << 30).optional(),
    /** VRRPv3 unicast checksum of keepalived <= 1.3.5 (pseudo-header to the multicast group); `never`: no auto-detection */
    old_unicast_checksum: kw
      .custom<'on' | 'never'>(0, 1, ([v], stmt, ctx) => {
        if (v === undefined) return 'on';
        if (v === 'never') return 'never';
        ctx.diag.error(stmt, `old_unicast_checksum: unexpected '${v}' (expected: never)`);
        return undefined;
      })
      .optional(),
    accept: kw.flag(),
    no_accept: kw.flag(),
    strict_mode: kw.flag().optional(),
    check_unicast_src: kw.flag(),
    skip_check_adv_addr: kw.flag().optional(),
    /** a macvlan with the VRRP virtual MAC carries the VIPs (and the adverts) */
    use_vmac: kw.custom(0, 2, useVmac).optional(),
    /** adverts on the base interface rather than the vmac */
    vmac_xmit_base: kw.flag(),
    /** a vmac also for VIPs on other interfaces or of the other family */
    use_vmac_addr: kw.flag(),
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
    finish: (vi, stmt, ctx) => {
      completeInstance(vi, stmt, ctx);
      if (vi.track_reference && !vi.track_reference.address)
        ctx.diag.error(vi.track_reference.at, 'track_reference: address is required');
      for (const p of vi.heartbeat_path) {
        if (!p.interface) ctx.diag.error(p.at, 'heartbeat_path: interface is required');
        if (p.unicast_peer.length && !p.unicast_src_ip)
          ctx.diag.error(p.at, 'heartbeat_path: unicast_peer needs unicast_src_ip');
      }
      if (vi.use_vmac && vi.unicast_peer.length && !vi.vmac_xmit_base) {
        ctx.diag.warn(vi.at, `${vi.name}: unicast with use_vmac requires vmac_xmit_base - setting`);
        vi.vmac_xmit_base = true;
      }
      if (vi.vmac_xmit_base && !vi.use_vmac) {
        ctx.diag.warn(vi.at, `${vi.name}: vmac_xmit_base is only valid with use_vmac - ignored`);
        vi.vmac_xmit_base = false;
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
    notify_priority_changes: kw.flag().optional(),
    track_script: kw.lines(tracked('script')),
    track_interface: kw.lines(tracked('interface')),
    track_file: kw.lines(tracked('file')),
    track_process: kw.lines(tracked('process')),
    track_bfd: kw.lines(tracked('bfd')),
    smtp_alert: kw.flag().optional(),
    sync_group_tracking_weight: kw.flag(),
    /** deprecated spelling of sync_group_tracking_weight (keepalived says so and applies it) */
    global_tracking: kw
      .custom(0, 0, (_args, stmt, ctx) => {
        ctx.diag.warn(
          stmt,
          'global_tracking is deprecated: use track_interface/track_script/track_file on the sync group; taken as sync_group_tracking_weight (as keepalived)',
        );
        return true;
      })
      .optional(),
  },
  {
    header: named('vrrp_sync_group'),
    finish: (sg, stmt, ctx) => {
      if (sg.global_tracking) sg.sync_group_tracking_weight = true;
      // keepalived keeps the first group list and reports the others
      const lists = stmt.block?.filter((s) => s.keyword === 'group') ?? [];
      for (const extra of lists.slice(1)) {
        ctx.diag.warn(extra, `vrrp_sync_group ${sg.name}: group list already given; ignored`);
        sg.group = sg.group.filter((m) => m.at.line < extra.line || m.at.file !== extra.file);
      }
    },
  },
);

export const vrrpScript = kw.block(
  {
    script: kw.string().optional(),
    interval: timer(0.001).default(1),
    timeout: timer(0.001).optional(),
    weight: weightReverse(-253, 253).default({ value: 0, reverse: false }),
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
