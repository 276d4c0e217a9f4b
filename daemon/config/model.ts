// The keepalived.conf model: the top-level schema assembled from the
// keywords of each section (keywords/*.ts), the model's types, and what
// spans sections (checker timings inherited from real_server and
// virtual_server). Types come from the declarations (Infer<>); defaults are
// keepalived's documented ones (keepalived.conf(5), 2.2.x).
import { kw, type Infer, type StructField } from './schema';
import { bfdInstance } from './keywords/bfd';
import { bgpAnnounce } from './keywords/bgp-announce';
import { checkerDefaults } from './keywords/checkers';
import { globalDefs } from './keywords/global';
import {
  checkVirtualServer,
  virtualServerKey,
  virtualServerKeywords,
  type realServer,
  type VirtualServer,
} from './keywords/lvs';
import { checkFamilies, tunnelOfBlock } from './keywords/lvs-family';
import { staticKeywords } from './keywords/static';
import { VsGroupField } from './keywords/vsgroup';
import { linkbeatInterface, trackFile, trackProcess, upDownDelay } from './keywords/trackers';
import { garpGroup, vrrpInstance, vrrpScript, vrrpSyncGroup } from './keywords/vrrp';

export { CHECKERS, checkerDefaults, type Checker, type CheckerType } from './keywords/checkers';
export { heardByCheckers } from './keywords/bfd';
export { LVS_BACKENDS } from './keywords/global';
export type { StatusRange, VirtualAddress } from './keywords/lines';
export {
  METHODS,
  SCHEDULERS,
  schedFlagBits,
  type VirtualServer,
  type VirtualServerKey,
} from './keywords/lvs';
export type { ScriptRef } from './keywords/values';
export { expandGroup, type GroupTarget, type VsGroup } from './keywords/vsgroup';
export type { ParamMatch } from './keywords/trackers';
export { AUTH_PASS_MAX } from './keywords/vrrp';

/** Fill every checker's timing from checker -> real_server -> virtual_server -> keepalived default. */
function resolveCheckerTimings(vs: VirtualServer) {
  for (const rs of vs.real_server) {
    for (const c of rs.checkers) {
      // FILE_CHECK has none of the connection or timing options
      if (c.type === 'FILE_CHECK') continue;
      if (c.type === 'BFD_CHECK') {
        c.alpha = c.alpha ?? rs.alpha ?? vs.alpha;
        continue;
      }
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
    if (rs.lvs_method === undefined) {
      rs.lvs_method = vs.lvs_method;
      rs.tun = vs.tun;
    }
  }
}

const virtualServer = kw.block(virtualServerKeywords, {
  header: virtualServerKey,
  finish: (vs, stmt, ctx) => {
    checkVirtualServer(vs, stmt, ctx);
    vs.tun = tunnelOfBlock(stmt);
    vs.sorry_tun = vs.sorry_server_lvs_method
      ? tunnelOfBlock(stmt, ['sorry_server_lvs_method'])
      : vs.tun;
    resolveCheckerTimings(vs);
    vs.family = checkFamilies(vs, stmt, ctx);
  },
});

// keepalived keywords keepalive-ts does not implement are in keywords/unsupported.ts
export const configSchema = kw.block({
  global_defs: globalDefs.optional(),
  vrrp_instance: vrrpInstance.many(),
  vrrp_sync_group: vrrpSyncGroup.many(),
  vrrp_script: vrrpScript.many(),
  track_file: trackFile.many().alias('vrrp_track_file'),
  vrrp_track_process: trackProcess.many(),
  /** keepalived's top-level form; global_defs has it too */
  linkbeat_use_polling: kw.flag(),
  /** interfaces whose carrier is polled (MII / ETHTOOL / IOCTL: we read the kernel's carrier) */
  linkbeat_interfaces: kw.lines(linkbeatInterface),
  /** `IFNAME DOWN_DELAY [UP_DELAY]`: seconds a link change waits before it counts */
  interface_up_down_delays: kw.lines(upDownDelay),
  /** seconds to wait at exit for the VRRP thread and running scripts before killing them (keepalived: 5) */
  child_wait_time: kw.int(0, 4294967295).default(5),
  garp_group: garpGroup.many(),
  bfd_instance: bfdInstance.many(),
  virtual_server: virtualServer.many(),
  virtual_server_group: new VsGroupField().many(),
  /** keepalive-ts only: announce the VIP by BGP through BIRD (active-active) */
  bgp_announce: bgpAnnounce.optional(),
  /** the client certificate of SSL_GET (keepalived's check_ssl.c context) */
  SSL: kw
    .block({
      password: kw.string().optional(),
      ca: kw.string().optional(),
      certificate: kw.string().optional(),
      key: kw.string().optional(),
    })
    .optional(),
  ...staticKeywords,
});

export type Config = Omit<Infer<typeof configSchema>, 'global_defs'> & { global_defs: GlobalDefs };
export type GlobalDefs = Infer<typeof globalDefs>;
export type VrrpInstance = Infer<typeof vrrpInstance>;
export type VrrpSyncGroup = Infer<typeof vrrpSyncGroup>;
export type VrrpScript = Infer<typeof vrrpScript>;
export type TrackFile = Infer<typeof trackFile>;
export type TrackProcess = Infer<typeof trackProcess>;
export type RealServer = Infer<typeof realServer>;
export type { RouteEntry } from './keywords/route-lines';
export type { RuleEntry } from './keywords/rule-lines';
export type BfdInstance = Infer<typeof bfdInstance>;
export type { BgpAnnounce } from './keywords/bgp-announce';

export const globalDefsSchema: StructField<typeof globalDefs.shape> = globalDefs;

/** The VRRP version an instance speaks (instance `version`, else global `vrrp_version`). */
