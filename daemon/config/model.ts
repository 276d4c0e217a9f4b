// The keepalived.conf model: the top-level schema assembled from the
// keywords of each section (keywords/*.ts), the model's types, and what
// spans sections (checker timings inherited from real_server and
// virtual_server). Types come from the declarations (Infer<>); defaults are
// keepalived's documented ones (keepalived.conf(5), 2.2.x).
import { kw, type Infer, type StructField } from './schema';
import { bfdInstance } from './keywords/bfd';
import { checkerDefaults } from './keywords/checkers';
import { globalDefs } from './keywords/global';
import {
  checkVirtualServer,
  virtualServerKey,
  virtualServerKeywords,
  type realServer,
  type VirtualServer,
} from './keywords/lvs';
import { garpGroup, vrrpInstance, vrrpScript, vrrpSyncGroup } from './keywords/vrrp';

export { CHECKERS, checkerDefaults, type Checker, type CheckerType } from './keywords/checkers';
export { LVS_BACKENDS } from './keywords/global';
export type { StatusRange, VirtualAddress } from './keywords/lines';
export { METHODS, SCHEDULERS, type VirtualServer, type VirtualServerKey } from './keywords/lvs';
export type { ScriptRef } from './keywords/values';
export { AUTH_PASS_MAX } from './keywords/vrrp';

/** Fill every checker's timing from checker -> real_server -> virtual_server -> keepalived default. */
function resolveCheckerTimings(vs: VirtualServer) {
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

const virtualServer = kw.block(virtualServerKeywords, {
  header: virtualServerKey,
  finish: (vs, stmt, ctx) => {
    checkVirtualServer(vs, stmt, ctx);
    resolveCheckerTimings(vs);
  },
});

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
  'checker_priority',
  'vrrp_no_swap',
  'checker_no_swap',
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
    garp_group: garpGroup.many(),
    virtual_server: virtualServer.many(),
    bfd_instance: bfdInstance.many(),
  },
  { ignored: ACCEPTED_BUT_IGNORED },
);

export type Config = Omit<Infer<typeof configSchema>, 'global_defs'> & { global_defs: GlobalDefs };
export type GlobalDefs = Infer<typeof globalDefs>;
export type VrrpInstance = Infer<typeof vrrpInstance>;
export type VrrpSyncGroup = Infer<typeof vrrpSyncGroup>;
export type VrrpScript = Infer<typeof vrrpScript>;
export type RealServer = Infer<typeof realServer>;
export type BfdInstance = Infer<typeof bfdInstance>;

export const globalDefsSchema: StructField<typeof globalDefs.shape> = globalDefs;

/** The VRRP version an instance speaks (instance `version`, else global `vrrp_version`). */
