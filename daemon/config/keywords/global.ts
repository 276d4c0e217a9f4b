// global_defs: router identity, notification mail, VRRP defaults for every
// instance, and keepalive-ts's own global extensions.
import { kw } from '../schema';
import { isIP } from 'node:net';
import { ip, portOf, timer, userAndGroup } from './values';

const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export const LVS_BACKENDS = ['auto', 'ipvs', 'nftables'] as const;

export const globalDefs = kw.block({
  router_id: kw.string().optional(),
  notification_email: kw.lines(([addr]) => addr),
  notification_email_from: kw.string().optional(),
  /** an IP address or a host name (resolved when a mail is sent), port 25 by default */
  smtp_server: kw
    .custom(1, 2, ([addr, port], stmt, ctx) => {
      if (!isIP(addr) && !HOST_NAME.test(addr)) {
        ctx.diag.error(stmt, `smtp_server: '${addr}' is not an IP address or a host name`);
        return undefined;
      }
      const p = port === undefined ? 25 : portOf(port, stmt, ctx);
      return p === undefined ? undefined : { address: addr, port: p };
    })
    .optional(),
  smtp_helo_name: kw.string().optional(),
  smtp_connect_timeout: kw.int(1, 3600).default(30),
  /** unset: off for VRRP, on for real servers (keepalived's defaults) */
  smtp_alert: kw.flag().optional(),
  smtp_alert_vrrp: kw.flag().optional(),
  smtp_alert_checker: kw.flag().optional(),
  no_email_faults: kw.flag(),
  no_checker_emails: kw.flag(),
  enable_script_security: kw.flag(),
  script_user: userAndGroup().optional(),
  vrrp_version: kw.int(2, 3).default(2),
  vrrp_mcast_group4: kw.string(ip).default('224.0.0.18'),
  vrrp_mcast_group6: kw.string(ip).default('ff02::12'),
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
  /** poll every tracked interface's carrier (keepalived: MII/ethtool) instead of netlink events */
  linkbeat_use_polling: kw.flag(),
  max_auto_priority: kw.int(-1, 99).default(0),
  /** nice value of the VRRP thread (keepalived: of the VRRP process) */
  vrrp_priority: kw.int(-20, 19).optional(),
  /** SCHED_RR priority of the VRRP thread: adverts preempt everything else on the host */
  vrrp_rt_priority: kw.int(1, 99).optional(),
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
