// The IPVS connection synchronisation daemon (keepalived's lvs_sync_daemon),
// pure: the generic netlink messages that start, stop and list the kernel's
// sync threads (IPVS_CMD_NEW_DAEMON / DEL_DAEMON / GET_DAEMON with the nested
// IPVS_CMD_ATTR_DAEMON, layout of include/uapi/linux/ip_vs.h), and the plan
// from the running threads to the wanted ones.
//
// Which threads run, and why failback keeps connections (keepalived's loses
// them, its issues #237 and #1966):
// - The kernel's MASTER thread sends a connection only when a packet of it
//   passes this director, and then only on a TCP state change or when the
//   connection's inbound packet count modulo sync_period (50) equals
//   sync_threshold (3). A connection the BACKUP thread installs gets its
//   packet count set to sync_threshold, so once that director is master it
//   sends the connection again only 50 packets later. There is no "send the
//   whole table" request.
// - keepalived runs one thread per director, switched with the VRRP state:
//   MASTER thread on the master, BACKUP thread on the backup, and it stops
//   the thread when keepalived stops. While the old master is down (stopped,
//   restarted, rebooted, or killed, which leaves only its MASTER thread), no
//   thread receives what the new master sends: the connections opened
//   during the outage, and the updates of the old ones, are lost to it. It
//   comes back as BACKUP and preempts within Master_Down_Interval (~3 s),
//   long before the new master's 50-packet rule sends those connections
//   again, so they are reset on failback.
// - Here the BACKUP thread runs from start to stop whatever the VRRP state
//   (the kernel runs a MASTER and a BACKUP thread side by side), so a
//   director receives its peer's connections in every state, and the MASTER
//   thread runs while the instance is MASTER (a BACKUP director forwards no
//   VIP traffic: it would have nothing to send). And unless the operator
//   tuned them, sync_threshold becomes "3 0" and sync_refresh_period 1 s
//   (both per network namespace, given back at a clean stop): a connection
//   is sent again on its first packet a second or more after its last sync,
//   so a returning director learns every active connection within about a
//   second of starting, before it preempts.
// - Measured in the VM tier (test/vm/guest/syncd.guest.ts, DR, two director
//   namespaces): connections survived failover and failback in every trial;
//   with the kernel's resend rule kept, a connection opened during the old
//   master's outage was reset at failback; without lvs_sync_daemon the
//   connection was reset at failover. The kernel batches what its MASTER
//   thread sends for up to 2 s (IPVS_SYNC_FLUSH_TIME, not tunable): a
//   connection younger than that at a failover may not have reached the
//   peer yet.
import {
  concat,
  genlMessage,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  parseAttrs,
  type NlMessage,
} from '../net/genl';
import { nlattr as attr, cstr, u16, u32, u8 } from '../net/nlattr';

const IPVS_GENL_VERSION = 1;
export const DAEMON_CMD = { NEW: 9, DEL: 10, GET: 11 } as const;
const CMD_ATTR_DAEMON = 3;
const DA = {
  STATE: 1,
  MCAST_IFN: 2,
  SYNC_ID: 3,
  SYNC_MAXLEN: 4,
  MCAST_GROUP: 5,
  MCAST_GROUP6: 6,
  MCAST_PORT: 7,
  MCAST_TTL: 8,
} as const;
/** IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP */
export const SYNC_STATE = { master: 1, backup: 2 } as const;
export type SyncRole = keyof typeof SYNC_STATE;
/** IP_VS_IFNAME_MAXLEN, with the NUL */
export const IFNAME_MAXLEN = 16;

/** lvs_sync_daemon's parameters as the kernel takes them (absent = the kernel's default). */
export interface SyncDaemonParams {
  ifname: string;
  syncId: number;
  /** UDP payload size */
  maxlen?: number;
  port?: number;
  ttl?: number;
  /** IPv4 or IPv6 multicast group */
  group?: string;
}

export interface RunningSyncDaemon extends SyncDaemonParams {
  role: SyncRole;
}

function ip4(a: string): Uint8Array {
  return Uint8Array.from(a.split('.').map(Number));
}
function ip6(a: string): Uint8Array {
  const [head, tail = ''] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = a.includes('::')
    ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
    : h;
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    b[2 * i] = n >> 8;
    b[2 * i + 1] = n & 0xff;
  });
  return b;
}

/** IPVS_CMD_NEW_DAEMON, attributes as libipvs sends them (optional ones only when set). */
export function newDaemonMessage(
  family: number,
  p: SyncDaemonParams,
  role: SyncRole,
  seq: number,
): Uint8Array {
  const a = [
    attr(DA.STATE, u32(SYNC_STATE[role])),
    attr(DA.MCAST_IFN, cstr(p.ifname)),
    attr(DA.SYNC_ID, u32(p.syncId)),
  ];
  if (p.maxlen) a.push(attr(DA.SYNC_MAXLEN, u16(p.maxlen)));
  // host order, as the kernel's nla_get_u16 reads it (it applies htons itself)
  if (p.port) a.push(attr(DA.MCAST_PORT, u16(p.port)));
  if (p.ttl) a.push(attr(DA.MCAST_TTL, u8(p.ttl)));
  if (p.group)
    a.push(
      p.group.includes(':')
        ? attr(DA.MCAST_GROUP6, ip6(p.group))
        : attr(DA.MCAST_GROUP, ip4(p.group)),
    );
  return genlMessage(
    family,
    DAEMON_CMD.NEW,
    IPVS_GENL_VERSION,
    [attr(CMD_ATTR_DAEMON, concat(a))],
    seq,
  );
}

/** IPVS_CMD_DEL_DAEMON: the kernel stops the thread of that state. */
export function delDaemonMessage(family: number, role: SyncRole, seq: number): Uint8Array {
  const a = [attr(DA.STATE, u32(SYNC_STATE[role]))];
  return genlMessage(
    family,
    DAEMON_CMD.DEL,
    IPVS_GENL_VERSION,
    [attr(CMD_ATTR_DAEMON, concat(a))],
    seq,
  );
}

/** IPVS_CMD_GET_DAEMON as a dump: one message per running thread. */
export function getDaemonsMessage(family: number, seq: number): Uint8Array {
  return genlMessage(
    family,
    DAEMON_CMD.GET,
    IPVS_GENL_VERSION,
    [],
    seq,
    NLM_F_REQUEST | NLM_F_DUMP,
  );
}

const rd32 = (a: Uint8Array) =>
  new DataView(a.buffer, a.byteOffset, a.byteLength).getUint32(0, true);
const rd16 = (a: Uint8Array) =>
  new DataView(a.buffer, a.byteOffset, a.byteLength).getUint16(0, true);

/** One GET_DAEMON answer (the kernel reports every parameter, defaults included). */
export function parseDaemon(m: NlMessage): RunningSyncDaemon | undefined {
  const nest = m.attrs?.get(CMD_ATTR_DAEMON);
  if (!nest) return undefined;
  const a = parseAttrs(nest);
  const state = a.get(DA.STATE);
  const role =
    state && rd32(state) === 1 ? 'master' : state && rd32(state) === 2 ? 'backup' : undefined;
  if (!role) return undefined;
  const ifn = a.get(DA.MCAST_IFN) ?? new Uint8Array();
  const end = ifn.indexOf(0);
  const out: RunningSyncDaemon = {
    role,
    ifname: new TextDecoder().decode(ifn.subarray(0, end < 0 ? ifn.length : end)),
    syncId: a.get(DA.SYNC_ID) ? rd32(a.get(DA.SYNC_ID)!) : 0,
  };
  const maxlen = a.get(DA.SYNC_MAXLEN);
  if (maxlen) out.maxlen = rd16(maxlen);
  const port = a.get(DA.MCAST_PORT);
  if (port) out.port = rd16(port);
  const ttl = a.get(DA.MCAST_TTL);
  if (ttl) out.ttl = ttl[0];
  const g4 = a.get(DA.MCAST_GROUP);
  const g6 = a.get(DA.MCAST_GROUP6);
  if (g4 && g4.length >= 4) out.group = Array.from(g4.subarray(0, 4)).join('.');
  else if (g6 && g6.length >= 16)
    out.group = Array.from({ length: 8 }, (_, i) => ((g6[2 * i] << 8) | g6[2 * i + 1]).toString(16))
      .join(':')
      .replace(/(^|:)0(:0)+(:|$)/, '::');
  return out;
}

/** The threads wanted: BACKUP always, MASTER while the followed instance is MASTER (or always when none is followed). */
export function wantedRoles(
  instanceState: string | undefined,
  followsInstance: boolean,
): SyncRole[] {
  return !followsInstance || instanceState === 'MASTER' ? ['backup', 'master'] : ['backup'];
}

/** The kernel's defaults for what lvs_sync_daemon leaves unset (ip_vs_sync.c). */
const KERNEL_DEFAULT = { port: 8848, ttl: 1, group: '224.0.0.81' };

/**
 * Does a running thread already run with these parameters? Not maxlen: the
 * kernel clamps it to the MTU (and a BACKUP's to at least 1024), so what it
 * reports differs from what was asked; a changed maxlen restarts the threads
 * from the configuration's side (IpvsSyncDaemons.configure).
 */
export function sameParams(r: RunningSyncDaemon, p: SyncDaemonParams): boolean {
  const group = p.group ?? KERNEL_DEFAULT.group;
  return (
    r.ifname === p.ifname &&
    r.syncId === p.syncId &&
    (r.port ?? KERNEL_DEFAULT.port) === (p.port ?? KERNEL_DEFAULT.port) &&
    (r.ttl ?? KERNEL_DEFAULT.ttl) === (p.ttl ?? KERNEL_DEFAULT.ttl) &&
    (r.group === undefined || r.group === group)
  );
}

export type SyncOp = { op: 'start' | 'stop'; role: SyncRole };

/** From the running threads to the wanted ones: stop what differs or is unwanted, then start. */
export function planSyncDaemons(
  running: RunningSyncDaemon[],
  wanted: SyncRole[],
  p: SyncDaemonParams | undefined,
): SyncOp[] {
  const ops: SyncOp[] = [];
  for (const role of ['master', 'backup'] as const) {
    const r = running.find((x) => x.role === role);
    const want = !!p && wanted.includes(role);
    if (r && (!want || !sameParams(r, p!))) ops.push({ op: 'stop', role });
    if (want && (!r || !sameParams(r, p!))) ops.push({ op: 'start', role });
  }
  return ops;
}

/** The kernel's resend rule (sync_threshold, sync_refresh_period) and ours. */
export const RESYNC = {
  kernel: { threshold: '3 50', refresh: '0' },
  ours: { threshold: '3 0', refresh: '1' },
} as const;

/**
 * What to do with the resend sysctls as read: set ours over the kernel's
 * defaults, keep ours (left by a run that did not stop cleanly), leave an
 * operator's own values alone.
 */
export function resyncDecision(threshold: string, refresh: string): 'set' | 'ours' | 'operator' {
  const t = threshold.trim().split(/\s+/).join(' ');
  const r = refresh.trim();
  if (t === RESYNC.kernel.threshold && r === RESYNC.kernel.refresh) return 'set';
  if (t === RESYNC.ours.threshold && r === RESYNC.ours.refresh) return 'ours';
  return 'operator';
}
