// global_defs: router identity, notification mail, VRRP defaults for every
// instance, and keepalive-ts's own global extensions.
import { kw, readInt } from '../schema';
import { schedKeywords } from './sched';
import { garpExtraIf, ip, portOf, script, timer, userAndGroup } from './values';
import { systemGlobals } from './global-sys';
import { umask } from './umask';
import { lvsSyncDaemon } from './lvs-sync';

/** RFC 1123 host names (labels of letters, digits and inner hyphens) */
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `KEYWORD [NAME]`: an nftables table name, `dflt` without one */
const tableName = (dflt: string) =>
  kw.custom<string>(0, 1, ([name], stmt, ctx) => {
    if (name === undefined) return dflt;
    if (name.length >= 256 || !/^[A-Za-z][A-Za-z0-9_.-]*$/.test(name)) {
      ctx.diag.error(
        stmt,
        `${stmt.keyword}: '${name}' is not an nftables table name (letters, digits, _ . -)`,
      );
      return undefined;
    }
    return name;
  });

export const LVS_BACKENDS = ['auto', 'ipvs', 'nftables'] as const;

export const globalDefs = kw.block({
  router_id: kw.string().optional(),
  notification_email: kw.lines(([addr]) => addr),
  notification_email_from: kw.string().optional(),
  /** an IP address or a host name (kept as given: resolved when mail is sent) */
  smtp_server: kw
    .custom(1, 2, ([addr, port], stmt, ctx) => {
      if (ip(addr) && !HOST_NAME.test(addr)) {
        ctx.diag.error(stmt, `smtp_server: '${addr}' is neither an IP address nor a host name`);
        return undefined;
      }
      const p = port === undefined ? 25 : portOf(port, stmt, ctx);
      return p === undefined ? undefined : { address: addr, port: p };
    })
    .optional(),
  /** no value: the default (the host name), as keepalived accepts it */
  smtp_helo_name: kw.custom<string | undefined>(0, 1, ([v]) => v).optional(),
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
  /** the nftables table of accept mode (no_accept / strict): NAME, default "keepalived" */
  nftables: tableName('keepalived').optional(),
  nftables_priority: kw.int(-2147483648, 2147483647).optional(),
  /** counters on the accept-mode drop rules */
  nftables_counters: kw.flag(),
  /** keepalived matches interfaces by index instead of name; our rules name none */
  nftables_ifindex: kw.flag(),
  /** keepalived built without iptables (as Debian's is not, but as keepalive-ts is) uses nftables */
  vrrp_iptables: kw
    .custom<true>(0, 2, (_args, stmt, ctx) => {
      ctx.diag.warn(
        stmt,
        "iptables not supported, using nftables instead (as keepalived built without iptables); replace 'vrrp_iptables' and 'vrrp_ipsets' with 'nftables'",
      );
      return true;
    })
    .optional(),
  vrrp_ipsets: kw
    .custom<true>(0, 5, (_args, stmt, ctx) => {
      ctx.diag.warn(
        stmt,
        "ipsets not supported, using nftables sets instead (as keepalived built without libipset); replace 'vrrp_ipsets' with 'nftables'",
      );
      return true;
    })
    .optional(),
  /** process and thread names (system/process-names.ts) */
  process_names: kw.flag(),
  process_name: kw.string().optional(),
  vrrp_process_name: kw.string().optional(),
  checker_process_name: kw.string().optional(),
  bfd_process_name: kw.string().optional(),
  /** reloads are always checked first; with a file, the check's result is written there */
  reload_check_config: kw.custom<string | true>(0, 1, ([f]) => f ?? true).optional(),
  /** the interface of static addresses without `dev` (keepalived: eth0) */
  default_interface: kw.string().optional(),
  /** default down_timer_adverts of every instance */
  vrrp_down_timer_adverts: kw.int(1, 100).optional(),
  /** VRRP socket receive buffers: MTU or ADVERT times vrrp_rx_bufs_multiplier, or a size */
  vrrp_rx_bufs_policy: kw
    .custom<'MTU' | 'ADVERT' | number>(1, 1, ([v], stmt, ctx) => {
      const u = v.toUpperCase();
      if (u === 'MTU' || u === 'ADVERT') return u;
      if (/^\d+$/.test(v)) return Number(v);
      ctx.diag.error(stmt, `vrrp_rx_bufs_policy: '${v}' is not MTU, ADVERT or a size`);
      return undefined;
    })
    .optional(),
  vrrp_rx_bufs_multiplier: kw.int(1, 1000).default(3),
  // defaults (5 and 5, or 0 and 1 with vrrp_min_garp) resolved in vrrp/announce.ts globalGarp
  vrrp_garp_master_delay: kw.int(0, 86400).optional(),
  vrrp_garp_master_repeat: kw.int(1, 10000).optional(),
  vrrp_garp_lower_prio_delay: kw.int(0, 86400).optional(),
  vrrp_garp_lower_prio_repeat: kw.int(0, 10000).optional(),
  vrrp_garp_master_refresh: kw.int(0, 86400).optional(),
  vrrp_garp_master_refresh_repeat: kw.int(1, 10000).optional(),
  vrrp_garp_interval: timer(0, 86400).default(0),
  vrrp_gna_interval: timer(0, 86400).optional(),
  /** one GARP/NA, no repeat, no refresh (where not set otherwise) */
  vrrp_min_garp: kw.flag(),
  /** periodic GARP/NA on the other interfaces of an instance's addresses */
  vrrp_garp_extra_if: garpExtraIf().alias('vrrp_vmac_garp_intvl').optional(),
  vrrp_higher_prio_send_advert: kw.flag().optional(),
  vrrp_lower_prio_no_advert: kw.flag(),
  vrrp_strict: kw.flag(),
  vrrp_skip_check_adv_addr: kw.flag(),
  vrrp_check_unicast_src: kw.flag(),
  vrrp_notify_fifo: kw.string().optional(),
  notify_fifo: kw.string().optional(),
  /** started at start-up with the FIFO's path as its last argument; reads the FIFO */
  notify_fifo_script: script().optional(),
  vrrp_notify_fifo_script: script().optional(),
  /** the checkers' lines only (notify_fifo gets them too): RS ... UP|DOWN, VS ... UP|DOWN */
  lvs_notify_fifo: kw.string().optional(),
  lvs_notify_fifo_script: script().optional(),
  /** at start, real servers starting up run notify_up and write their FIFO line */
  rs_init_notifies: kw.flag(),
  /** FIFO lines MASTER_PRIORITY / BACKUP_PRIORITY (instances and sync groups may override) */
  vrrp_notify_priority_changes: kw.flag().optional(),
  /** on reload, the states of instances and groups that did not change go to the FIFOs */
  fifo_write_vrrp_states_on_reload: kw.flag(),
  /** run before anything starts / after everything stopped, killed after its timeout (s) */
  startup_script: script().optional(),
  startup_script_timeout: kw.int(1, 1000).default(10),
  shutdown_script: script().optional(),
  shutdown_script_timeout: kw.int(1, 1000).default(10),
  /** the process umask, applied before any file is created */
  umask: umask().optional(),
  dynamic_interfaces: kw
    .custom<'on' | 'allow_if_changes'>(0, 1, ([v], stmt, ctx) => {
      if (v === undefined) return 'on';
      if (v === 'allow_if_changes') return v;
      ctx.diag.error(
        stmt,
        `dynamic_interfaces: unknown option '${v}' (expected: allow_if_changes)`,
      );
      return undefined;
    })
    .optional(),
  /** no value: the highest SCHED_RR priority (keepalived's sched_get_priority_max, 99) */
  max_auto_priority: kw
    .custom<number>(0, 1, ([v], stmt, ctx) =>
      v === undefined ? 99 : readInt(v, -1, 99, stmt.keyword, stmt, ctx),
    )
    .default(0),
  /** poll every tracked interface's carrier (keepalived: MII/ethtool) instead of netlink events */
  linkbeat_use_polling: kw.flag(),
  /** nice value of the VRRP thread (keepalived: of the VRRP process) */
  vrrp_priority: kw.int(-20, 19).optional(),
  /** SCHED_RR priority of the VRRP thread: adverts preempt everything else on the host */
  vrrp_rt_priority: kw.int(1, 99).optional(),
  ...schedKeywords,
  /** prefix of generated VMAC names (keepalived: vrrp, giving vrrp.VRID) */
  vmac_prefix: kw.string().optional(),
  /** prefix of the names of VMACs made for addresses (use_vmac_addr, a VIP's use_vmac) */
  vmac_addr_prefix: kw.string().optional(),
  /** remove every IPVS service at start (not on reload) */
  lvs_flush: kw.flag(),
  /** every checker logs each failed check while its server is up (keepalived's log_all_failures) */
  checker_log_all_failures: kw.flag(),
  /** at stop: ALL = remove every IPVS service (keepalived without a value), VS = ours; absent: ours */
  lvs_flush_on_stop: kw
    .custom<'ALL' | 'VS'>(0, 1, ([v], stmt, ctx) => {
      if (v === undefined) return 'ALL';
      if (v === 'VS') return 'VS';
      ctx.diag.error(stmt, `Unknown lvs_flush_on_stop type ${v}`);
      return undefined;
    })
    .alias('lvs_flush_onstop')
    .optional(),
  /** IPVS connection timeouts in seconds: `lvs_timeouts [tcp N] [tcpfin N] [udp N]` */
  lvs_timeouts: kw
    .custom<{ tcp?: number; tcpfin?: number; udp?: number }>(1, 6, (args, stmt, ctx) => {
      const out: { tcp?: number; tcpfin?: number; udp?: number } = {};
      for (let i = 0; i < args.length; i++) {
        const k = args[i];
        if (k !== 'tcp' && k !== 'tcpfin' && k !== 'udp') {
          ctx.diag.error(stmt, `Unknown option ${k} specified for lvs_timeouts`);
          continue;
        }
        if (args[i + 1] === undefined) {
          ctx.diag.error(stmt, `No value specified for lvs_timeout ${k} - ignoring`);
          continue;
        }
        const v = readInt(args[++i], 0, 86400 * 31, `lvs_timeouts ${k}`, stmt, ctx);
        if (v !== undefined) out[k] = v;
      }
      return out;
    })
    .optional(),
  /**
   * virtual_server_group address ranges as nftables marks and one IPVS fwmark
   * service per group and protocol: NAME of the table, default keepalived_ipvs
   */
  nftables_ipvs: tableName('keepalived_ipvs').optional(),
  /** priority of its input chain (keepalived: -1) */
  nftables_ipvs_priority: kw.int(-2147483648, 2147483647).default(-1),
  /** the first fwmark it hands out (keepalived: 1000) */
  nftables_ipvs_start_fwmark: kw.int(1, 4294967295).default(1000),
  /** IPVS connection sync threads, following a VRRP instance (dataplane/ipvs-sync.ts) */
  lvs_sync_daemon: lvsSyncDaemon(),
  // keepalive-ts extensions (keepalived warns about them as unknown keywords)
  /** dataplane: auto = IPVS when the kernel has it, else nftables */
  lvs_backend: kw.oneOf(...LVS_BACKENDS).default('auto'),
  /** VRRPv3 IPv4 checksum: keepalived's pseudo-header form, or RFC 9568's (no pseudo-header) */
  vrrp_v3_checksum: kw.oneOf('keepalived', 'rfc9568').default('keepalived'),
  /** Prometheus metrics listen address, e.g. 127.0.0.1:9650 (off when absent) */
  metrics_listen: kw.string().optional(),
  ...systemGlobals,
});
