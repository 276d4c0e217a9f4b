// global_defs keywords about the daemon's own machinery rather than VRRP or
// LVS: netlink receive buffers, the seed of ${_RANDOM}, include checks.
import { kw } from '../schema';

const UINT_MAX = 4294967295;

/** a receive buffer size in bytes; 0 (keepalived: "use the default") leaves ours */
const rcvbufs = () => kw.int(0, UINT_MAX).optional();

/** include_check's words (the reader acts on them where they appear, as keepalived does) */
export const INCLUDE_CHECKS = ['read', 'match', 'wildcard_match', 'brace_match'] as const;

export const systemGlobals = {
  /** the VRRP thread's rtnetlink request socket (VIPs, routes, rules) */
  vrrp_netlink_cmd_rcv_bufs: rcvbufs(),
  /** SO_RCVBUFFORCE instead of SO_RCVBUF (needs CAP_NET_ADMIN) */
  vrrp_netlink_cmd_rcv_bufs_force: kw.flag(),
  /** the VRRP thread's rtnetlink link and address event socket */
  vrrp_netlink_monitor_rcv_bufs: rcvbufs(),
  vrrp_netlink_monitor_rcv_bufs_force: kw.flag(),
  /** the checker side's IPVS generic netlink socket (lvs_backend ipvs) */
  lvs_netlink_cmd_rcv_bufs: rcvbufs(),
  lvs_netlink_cmd_rcv_bufs_force: kw.flag(),
  /** the checker side's netlink event socket (lvs_backend nftables: nftables ruleset events) */
  lvs_netlink_monitor_rcv_bufs: rcvbufs(),
  lvs_netlink_monitor_rcv_bufs_force: kw.flag(),
  /** the process events connector socket of vrrp_track_process */
  process_monitor_rcv_bufs: rcvbufs(),
  process_monitor_rcv_bufs_force: kw.flag(),
  /** seed of ${_RANDOM}: the same seed gives the same values (the reader reads it) */
  random_seed: kw.int(0, UINT_MAX).optional(),
  /** checks of include files (the reader applies them from this line on) */
  include_check: kw
    .custom<string[]>(0, 8, (words, stmt, ctx) => {
      for (const w of words) {
        const name = w.replace(/^[+-]/, '');
        if (!(INCLUDE_CHECKS as readonly string[]).includes(name))
          ctx.diag.error(stmt, `include_check: unknown type '${name}'`);
      }
      return words;
    })
    .optional(),
};
