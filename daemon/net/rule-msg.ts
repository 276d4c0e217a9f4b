// FIB rule messages (RTM_NEWRULE / RTM_DELRULE), pure: the request bytes
// keepalived 2.2.7 sends for a policy rule (vrrp_iprule.c netlink_rule),
// struct fib_rule_hdr then FRA_* attributes, little-endian.
import { ipToBytes } from '../core/address';
import { FR_ACT, type Prefix, type Rule } from '../core/route';
import {
  cstr,
  nlattr as attr,
  nlmsg,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  u16,
  u32,
  u8,
  concat,
} from './nlattr';

export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;
const FRA_DST = 1;
const FRA_SRC = 2;
const FRA_IIFNAME = 3;
const FRA_GOTO = 4;
const FRA_PRIORITY = 6;
const FRA_FWMARK = 10;
const FRA_FLOW = 11;
const FRA_TUN_ID = 12;
const FRA_SUPPRESS_IFGROUP = 13;
const FRA_SUPPRESS_PREFIXLEN = 14;
const FRA_TABLE = 15;
const FRA_FWMASK = 16;
const FRA_OIFNAME = 17;
const FRA_L3MDEV = 19;
const FRA_UID_RANGE = 20;
const FRA_PROTOCOL = 21;
const FRA_IP_PROTO = 22;
const FRA_SPORT_RANGE = 23;
const FRA_DPORT_RANGE = 24;
const FIB_RULE_INVERT = 0x2;
const RT_TABLE_MAIN = 254;

const prefixBytes = (p: Prefix, family: 4 | 6) =>
  p.address ? ipToBytes(p.address) : new Uint8Array(family === 6 ? 16 : 4);

const range = ([a, b]: [number, number], each: (x: number) => Uint8Array) =>
  concat([each(a), each(b)]);

export function encodeRuleRequest(op: 'add' | 'del', r: Rule, seq: number): Uint8Array {
  const flags = NLM_F_REQUEST | NLM_F_ACK | (op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0);
  const h = new Uint8Array(12);
  h[0] = r.family === 6 ? 10 : 2;
  h[1] = r.to?.len ?? 0;
  h[2] = r.from?.len ?? 0;
  h[3] = r.tos ?? 0;
  const a: Uint8Array[] = [];
  if (r.action === FR_ACT.to_tbl && !r.l3mdev) {
    const t = r.table ?? 0;
    if (t < 256) h[4] = t || RT_TABLE_MAIN;
    else a.push(attr(FRA_TABLE, u32(t)));
  }
  h[7] = r.action;
  if (r.invert) new DataView(h.buffer).setUint32(8, FIB_RULE_INVERT, true);
  if (r.from) a.push(attr(FRA_SRC, prefixBytes(r.from, r.family)));
  if (r.to) a.push(attr(FRA_DST, prefixBytes(r.to, r.family)));
  a.push(attr(FRA_PRIORITY, u32(r.priority)));
  if (r.fwmark !== undefined) a.push(attr(FRA_FWMARK, u32(r.fwmark)));
  if (r.fwmask !== undefined) a.push(attr(FRA_FWMASK, u32(r.fwmask)));
  if (r.realms) a.push(attr(FRA_FLOW, u32(r.realms)));
  if (r.suppressPrefixlen !== undefined)
    a.push(attr(FRA_SUPPRESS_PREFIXLEN, u32(r.suppressPrefixlen)));
  if (r.suppressIfgroup !== undefined) a.push(attr(FRA_SUPPRESS_IFGROUP, u32(r.suppressIfgroup)));
  if (r.iif) a.push(attr(FRA_IIFNAME, cstr(r.iif)));
  if (r.oif) a.push(attr(FRA_OIFNAME, cstr(r.oif)));
  if (r.tunId !== undefined) {
    const b = new Uint8Array(8); // network order
    new DataView(b.buffer).setBigUint64(0, BigInt(r.tunId), false);
    a.push(attr(FRA_TUN_ID, b));
  }
  if (r.uidrange) a.push(attr(FRA_UID_RANGE, range(r.uidrange, u32)));
  if (r.l3mdev) a.push(attr(FRA_L3MDEV, u8(1)));
  if (r.protocol !== undefined) a.push(attr(FRA_PROTOCOL, u8(r.protocol)));
  if (r.ipproto !== undefined) a.push(attr(FRA_IP_PROTO, u8(r.ipproto)));
  if (r.sport) a.push(attr(FRA_SPORT_RANGE, range(r.sport, u16)));
  if (r.dport) a.push(attr(FRA_DPORT_RANGE, range(r.dport, u16)));
  if (r.action === FR_ACT.goto) a.push(attr(FRA_GOTO, u32(r.goto ?? 0)));
  return nlmsg(op === 'add' ? RTM_NEWRULE : RTM_DELRULE, flags, seq, h, a);
}
