// rtnetlink route messages (RTM_NEWROUTE / RTM_DELROUTE), pure: the request
// bytes keepalived 2.2.7 sends for a route (vrrp_iproute.c netlink_route),
// struct rtmsg then attributes, little-endian. Interface names become
// indexes through the lookup passed in.
import { ipToBytes } from '../core/address';
import { RTAX, type Nexthop, type Prefix, type Route, type RouteMetric } from '../core/route';
import {
  concat,
  nlattr as attr,
  nlmsg,
  NLM_F_ACK,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  u32,
  u8,
} from './nlattr';

export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
const RTA_DST = 1;
const RTA_SRC = 2;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_METRICS = 8;
const RTA_MULTIPATH = 9;
const RTA_FLOW = 11;
const RTA_TABLE = 15;
const RTA_PREF = 20;
const RTA_EXPIRES = 23;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_NOWHERE = 255;
const RTN_UNICAST = 1;

const familyByte = (f: 4 | 6) => (f === 6 ? 10 : 2);

/** the address bytes of a prefix (zeros for default/any/all) */
const prefixBytes = (p: Prefix, family: 4 | 6) =>
  p.address ? ipToBytes(p.address) : new Uint8Array(family === 6 ? 16 : 4);

/** struct rtnexthop (len, flags, hops, ifindex) followed by its own attributes */
function nexthop(nh: Nexthop, ifindex: (dev: string) => number): Uint8Array {
  const attrs: Uint8Array[] = [];
  if (nh.via) attrs.push(attr(RTA_GATEWAY, ipToBytes(nh.via)));
  if (nh.realms) attrs.push(attr(RTA_FLOW, u32(nh.realms)));
  const body = concat(attrs);
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  v.setUint16(0, 8 + body.length, true);
  h[2] = nh.flags ?? 0;
  h[3] = nh.weight ? nh.weight - 1 : 0;
  v.setInt32(4, nh.dev ? ifindex(nh.dev) : 0, true);
  return concat([h, body]);
}

function metrics(r: Route): Uint8Array | undefined {
  const m: Uint8Array[] = [];
  if (r.congctl) m.push(attr(RTAX.cc_algo, new TextEncoder().encode(r.congctl)));
  for (const [k, val] of Object.entries(r.metrics ?? {}) as [RouteMetric, number][])
    m.push(attr(RTAX[k], u32(val)));
  if (!m.length) return undefined;
  if (r.lock) m.push(attr(RTAX.lock, u32(r.lock)));
  return attr(RTA_METRICS, concat(m));
}

export function encodeRouteRequest(
  op: 'add' | 'del',
  r: Route,
  seq: number,
  ifindex: (dev: string) => number,
): Uint8Array {
  let flags = NLM_F_REQUEST | NLM_F_ACK;
  if (op === 'add') {
    flags |= NLM_F_CREATE;
    if (r.mode === 'add') flags |= NLM_F_EXCL;
    else if (r.mode === 'append') flags |= NLM_F_APPEND;
  }
  const h = new Uint8Array(12);
  h[0] = familyByte(r.family);
  h[1] = r.dst.len;
  h[2] = r.src?.len ?? 0;
  h[3] = r.tos ?? 0;
  h[4] = r.table < 256 ? r.table : 0;
  h[5] = r.protocol;
  h[6] = r.scope ?? (op === 'del' ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE);
  h[7] = r.type ?? (op === 'del' ? 0 : RTN_UNICAST);
  new DataView(h.buffer).setUint32(8, r.flags ?? 0, true);
  const a: Uint8Array[] = [];
  if (r.table >= 256) a.push(attr(RTA_TABLE, u32(r.table)));
  a.push(attr(RTA_DST, prefixBytes(r.dst, r.family)));
  if (r.src) a.push(attr(RTA_SRC, prefixBytes(r.src, r.family)));
  if (r.prefsrc) a.push(attr(RTA_PREFSRC, ipToBytes(r.prefsrc)));
  if (r.via) a.push(attr(RTA_GATEWAY, ipToBytes(r.via)));
  if (r.dev) a.push(attr(RTA_OIF, u32(ifindex(r.dev))));
  if (r.metric !== undefined) a.push(attr(RTA_PRIORITY, u32(r.metric)));
  if (r.realms) a.push(attr(RTA_FLOW, u32(r.realms)));
  if (r.expires !== undefined) a.push(attr(RTA_EXPIRES, u32(r.expires)));
  if (r.pref !== undefined) a.push(attr(RTA_PREF, u8(r.pref)));
  const m = metrics(r);
  if (m) a.push(m);
  if (r.nexthops?.length)
    a.push(attr(RTA_MULTIPATH, concat(r.nexthops.map((nh) => nexthop(nh, ifindex)))));
  return nlmsg(op === 'add' ? RTM_NEWROUTE : RTM_DELROUTE, flags, seq, h, a);
}
