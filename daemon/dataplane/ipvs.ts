// IPVS over generic netlink, pure: message encoding (layout of the kernel's
// include/uapi/linux/ip_vs.h, attributes as ipvsadm/libipvs sends them),
// dump parsing. The plan from the current table to the desired one is in
// ipvs-plan.ts.
import {
  concat,
  genlMessage,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  parseAttrs,
  type NlMessage,
} from '../net/genl';
import { nlattr as attr } from '../net/nlattr';
import {
  AF_INET,
  AF_INET6,
  afOf,
  inetAddr,
  inetText,
  svcNetmask,
  svcNetmaskText,
  TUN_CSUM,
  TUN_TYPE,
  normalTunnel,
  tunnelFrom,
} from './ipvs-addr';
import type { Method, Protocol, Tunnel } from './types';

export { netmaskBytes } from './ipvs-addr';

export const IPVS_GENL_NAME = 'IPVS';
const IPVS_GENL_VERSION = 1;

export const CMD = {
  NEW_SERVICE: 1,
  SET_SERVICE: 2,
  DEL_SERVICE: 3,
  GET_SERVICE: 4,
  NEW_DEST: 5,
  SET_DEST: 6,
  DEL_DEST: 7,
  GET_DEST: 8,
  SET_CONFIG: 12,
  FLUSH: 17,
} as const;

const CMD_ATTR_SERVICE = 1;
const CMD_ATTR_DEST = 2;
/** IPVS_CMD_ATTR_TIMEOUT_TCP, _TCP_FIN, _UDP (u32 seconds; 0 leaves a timeout as it is) */
const CMD_ATTR_TIMEOUT = { tcp: 4, tcpfin: 5, udp: 6 } as const;
const SVC = {
  AF: 1,
  PROTOCOL: 2,
  ADDR: 3,
  PORT: 4,
  FWMARK: 5,
  SCHED_NAME: 6,
  FLAGS: 7,
  TIMEOUT: 8,
  NETMASK: 9,
  PE_NAME: 11,
};
const DEST = {
  ADDR: 1,
  PORT: 2,
  FWD_METHOD: 3,
  WEIGHT: 4,
  U_THRESH: 5,
  L_THRESH: 6,
  ACTIVE_CONNS: 7,
  INACT_CONNS: 8,
  ADDR_FAMILY: 11,
  TUN_TYPE: 13,
  TUN_PORT: 14,
  TUN_FLAGS: 15,
};

const IPPROTO: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
export const IP_VS_SVC_F_PERSISTENT = 0x1;
export const IP_VS_SVC_F_ONEPACKET = 0x4;
/** IP_VS_SVC_F_SCHED1 | SCHED2 | SCHED3: scheduler flags (sh/mh: fallback, port) */
export const IP_VS_SVC_F_SCHED_MASK = 0x38;
/** forwarding methods (IP_VS_CONN_F_*) */
export const FWD: Record<Method, number> = { NAT: 0, TUN: 2, DR: 3 };

// ---------------------------------------------------------------- attributes

const u16 = (n: number) => Uint8Array.of(n & 0xff, n >> 8);
const u16be = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const str = (s: string) => new TextEncoder().encode(s + '\0');

/** AF_INET or AF_INET6: a fwmark service's by its `family`, an address service's by its address */
export const serviceAf = (s: ServiceKey) =>
  s.fwmark !== undefined ? (s.family === 6 ? AF_INET6 : AF_INET) : afOf(s.address!);

/** The attributes that name a service (what DEL_SERVICE and the *_DEST commands need). */
function serviceKey(s: ServiceKey): Uint8Array[] {
  const af = attr(SVC.AF, u16(serviceAf(s)));
  if (s.fwmark !== undefined) return [af, attr(SVC.FWMARK, u32(s.fwmark))];
  return [
    af,
    attr(SVC.PROTOCOL, u16(IPPROTO[s.protocol])),
    attr(SVC.ADDR, inetAddr(s.address!)),
    attr(SVC.PORT, u16be(s.port)),
  ];
}

export interface ServiceKey {
  protocol: Protocol;
  address?: string;
  port: number;
  fwmark?: number;
  /** a fwmark service's family: 6 for AF_INET6 (absent = AF_INET) */
  family?: 4 | 6;
}

export interface IpvsService extends ServiceKey {
  scheduler: string;
  /** seconds; 0 = not persistent */
  persistence: number;
  /** persistence netmask: dotted for IPv4, a prefix length for IPv6; absent = a host mask */
  netmask?: string;
  /** one-packet scheduling (keepalived `ops`) */
  onePacket?: boolean;
  /** IP_VS_SVC_F_SCHED* bits; absent = 0 */
  schedFlags?: number;
  /** persistence engine name (`sip`); absent = none */
  pe?: string;
}

export interface IpvsDest {
  address: string;
  port: number;
  weight: number;
  method: Method;
  /** connection thresholds (uthreshold / lthreshold); absent = 0, none */
  uThresh?: number;
  lThresh?: number;
  /** TUN: the encapsulation (absent = ipip) */
  tun?: Tunnel;
  activeConns?: number;
  inactConns?: number;
}

function serviceAttrs(s: IpvsService): Uint8Array[] {
  const flags =
    (s.persistence > 0 ? IP_VS_SVC_F_PERSISTENT : 0) |
    (s.onePacket ? IP_VS_SVC_F_ONEPACKET : 0) |
    ((s.schedFlags ?? 0) & IP_VS_SVC_F_SCHED_MASK);
  return [
    ...serviceKey(s),
    attr(SVC.SCHED_NAME, str(s.scheduler)),
    attr(SVC.FLAGS, concat([u32(flags), u32(0xffffffff)])),
    attr(SVC.TIMEOUT, u32(s.persistence)),
    // __be32 in the kernel: the mask's octets in order
    attr(SVC.NETMASK, svcNetmask(s.netmask, serviceAf(s))),
    // without a name, SET_SERVICE takes an engine off (the kernel's ip_vs_edit_service)
    ...(s.pe ? [attr(SVC.PE_NAME, str(s.pe))] : []),
  ];
}

/** TUN: the type, GUE's port (network order), GUE's and GRE's checksum flags, as libipvs sends them */
function tunAttrs(d: IpvsDest): Uint8Array[] {
  if (d.method !== 'TUN') return [];
  const t = normalTunnel(d.tun);
  return [
    attr(DEST.TUN_TYPE, Uint8Array.of(TUN_TYPE[t.type])),
    ...(t.type === 'gue' ? [attr(DEST.TUN_PORT, u16be(t.port))] : []),
    ...(t.type !== 'ipip' ? [attr(DEST.TUN_FLAGS, u16(TUN_CSUM[t.csum]))] : []),
  ];
}

function destAttrs(d: IpvsDest): Uint8Array[] {
  return [
    attr(DEST.ADDR, inetAddr(d.address)),
    attr(DEST.PORT, u16be(d.port)),
    attr(DEST.FWD_METHOD, u32(FWD[d.method])),
    attr(DEST.WEIGHT, u32(d.weight)),
    ...tunAttrs(d),
    attr(DEST.U_THRESH, u32(d.uThresh ?? 0)),
    attr(DEST.L_THRESH, u32(d.lThresh ?? 0)),
    // a destination's own family: it differs from the service's only with TUN (kernel >= 3.18)
    attr(DEST.ADDR_FAMILY, u16(afOf(d.address))),
  ];
}

export type Command =
  | { cmd: 'NEW_SERVICE' | 'SET_SERVICE'; service: IpvsService }
  | { cmd: 'DEL_SERVICE'; service: ServiceKey }
  | { cmd: 'NEW_DEST' | 'SET_DEST'; service: ServiceKey; dest: IpvsDest }
  | { cmd: 'DEL_DEST'; service: ServiceKey; dest: Pick<IpvsDest, 'address' | 'port'> };

export function encodeCommand(family: number, c: Command, seq: number): Uint8Array {
  const nest = (type: number, parts: Uint8Array[]) => attr(type, concat(parts));
  switch (c.cmd) {
    case 'NEW_SERVICE':
    case 'SET_SERVICE':
      return genlMessage(
        family,
        CMD[c.cmd],
        IPVS_GENL_VERSION,
        [nest(CMD_ATTR_SERVICE, serviceAttrs(c.service))],
        seq,
      );
    case 'DEL_SERVICE':
      return genlMessage(
        family,
        CMD.DEL_SERVICE,
        IPVS_GENL_VERSION,
        [nest(CMD_ATTR_SERVICE, serviceKey(c.service))],
        seq,
      );
    case 'NEW_DEST':
    case 'SET_DEST':
      return genlMessage(
        family,
        CMD[c.cmd],
        IPVS_GENL_VERSION,
        [nest(CMD_ATTR_SERVICE, serviceKey(c.service)), nest(CMD_ATTR_DEST, destAttrs(c.dest))],
        seq,
      );
    case 'DEL_DEST':
      return genlMessage(
        family,
        CMD.DEL_DEST,
        IPVS_GENL_VERSION,
        [
          nest(CMD_ATTR_SERVICE, serviceKey(c.service)),
          nest(CMD_ATTR_DEST, [
            attr(DEST.ADDR, inetAddr(c.dest.address)),
            attr(DEST.PORT, u16be(c.dest.port)),
            attr(DEST.ADDR_FAMILY, u16(afOf(c.dest.address))),
          ]),
        ],
        seq,
      );
  }
}

/** IPVS_CMD_FLUSH: every service and destination, ours or not (lvs_flush, lvs_flush_on_stop). */
export function flushMessage(family: number, seq: number) {
  return genlMessage(family, CMD.FLUSH, IPVS_GENL_VERSION, [], seq);
}

export interface IpvsTimeouts {
  tcp?: number;
  tcpfin?: number;
  udp?: number;
}

/** IPVS_CMD_SET_CONFIG with the three timeouts, as libipvs sends them (ipvsadm --set TCP TCPFIN UDP). */
export function setTimeoutsMessage(family: number, t: IpvsTimeouts, seq: number) {
  return genlMessage(
    family,
    CMD.SET_CONFIG,
    IPVS_GENL_VERSION,
    (['tcp', 'tcpfin', 'udp'] as const).map((k) => attr(CMD_ATTR_TIMEOUT[k], u32(t[k] ?? 0))),
    seq,
  );
}

export function dumpServicesMessage(family: number, seq: number) {
  return genlMessage(
    family,
    CMD.GET_SERVICE,
    IPVS_GENL_VERSION,
    [],
    seq,
    NLM_F_REQUEST | NLM_F_DUMP,
  );
}

export function dumpDestsMessage(family: number, s: ServiceKey, seq: number) {
  return genlMessage(
    family,
    CMD.GET_DEST,
    IPVS_GENL_VERSION,
    [attr(CMD_ATTR_SERVICE, concat(serviceKey(s)))],
    seq,
    NLM_F_REQUEST | NLM_F_DUMP,
  );
}

// ---------------------------------------------------------------- parsing
const rd = (a: Uint8Array | undefined, n: 2 | 4, be = false) => {
  if (!a) return 0;
  const v = new DataView(a.buffer, a.byteOffset, a.byteLength);
  return n === 2 ? v.getUint16(0, !be) : v.getUint32(0, !be);
};
const cstr = (a: Uint8Array | undefined) =>
  a ? new TextDecoder().decode(a.subarray(0, a.indexOf(0) < 0 ? a.length : a.indexOf(0))) : '';
const PROTO_NAME: Record<number, Protocol> = { 6: 'TCP', 17: 'UDP', 132: 'SCTP' };
const METHOD_NAME: Record<number, Method> = { 0: 'NAT', 2: 'TUN', 3: 'DR' };

export function parseService(m: NlMessage): IpvsService | undefined {
  const s = m.attrs?.get(CMD_ATTR_SERVICE);
  if (!s) return undefined;
  const a = parseAttrs(s);
  const af = rd(a.get(SVC.AF), 2);
  if (af !== AF_INET && af !== AF_INET6) return undefined;
  const flags = a.get(SVC.FLAGS) ? rd(a.get(SVC.FLAGS), 4) : 0;
  const fwmark = rd(a.get(SVC.FWMARK), 4);
  const netmask = svcNetmaskText(a.get(SVC.NETMASK), af);
  return {
    protocol: PROTO_NAME[rd(a.get(SVC.PROTOCOL), 2)] ?? 'TCP',
    ...(fwmark
      ? { fwmark, ...(af === AF_INET6 ? { family: 6 as const } : {}) }
      : { address: inetText(a.get(SVC.ADDR), af) }),
    port: rd(a.get(SVC.PORT), 2, true),
    scheduler: cstr(a.get(SVC.SCHED_NAME)),
    persistence: flags & IP_VS_SVC_F_PERSISTENT ? rd(a.get(SVC.TIMEOUT), 4) : 0,
    ...(netmask ? { netmask } : {}),
    ...(flags & IP_VS_SVC_F_ONEPACKET ? { onePacket: true } : {}),
    ...(flags & IP_VS_SVC_F_SCHED_MASK ? { schedFlags: flags & IP_VS_SVC_F_SCHED_MASK } : {}),
    ...(cstr(a.get(SVC.PE_NAME)) ? { pe: cstr(a.get(SVC.PE_NAME)) } : {}),
  };
}

/** One destination of a dump; `serviceAf` for a kernel that does not report the destination's family. */
export function parseDest(m: NlMessage, serviceAf = AF_INET): IpvsDest | undefined {
  const s = m.attrs?.get(CMD_ATTR_DEST);
  if (!s) return undefined;
  const a = parseAttrs(s);
  const af = a.get(DEST.ADDR_FAMILY) ? rd(a.get(DEST.ADDR_FAMILY), 2) : serviceAf;
  const method = METHOD_NAME[rd(a.get(DEST.FWD_METHOD), 4) & 0x7] ?? 'NAT';
  const tunType = a.get(DEST.TUN_TYPE)?.[0] ?? 0;
  return {
    address: inetText(a.get(DEST.ADDR), af),
    port: rd(a.get(DEST.PORT), 2, true),
    method,
    weight: rd(a.get(DEST.WEIGHT), 4),
    ...(method === 'TUN'
      ? {
          tun: tunnelFrom(tunType, rd(a.get(DEST.TUN_PORT), 2, true), rd(a.get(DEST.TUN_FLAGS), 2)),
        }
      : {}),
    ...(rd(a.get(DEST.U_THRESH), 4) ? { uThresh: rd(a.get(DEST.U_THRESH), 4) } : {}),
    ...(rd(a.get(DEST.L_THRESH), 4) ? { lThresh: rd(a.get(DEST.L_THRESH), 4) } : {}),
    activeConns: rd(a.get(DEST.ACTIVE_CONNS), 4),
    inactConns: rd(a.get(DEST.INACT_CONNS), 4),
  };
}
