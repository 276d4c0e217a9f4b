// rtnetlink address messages (RTM_NEWADDR / RTM_DELADDR), pure: build the
// request bytes and read the kernel's acknowledgement. Host byte order is
// little-endian on every platform we build for.

import { ipToBytes } from '../core/address';
import { align4, nlattr as attr } from './nlattr';
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_CREATE = 0x400;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_BROADCAST = 4;
const IFA_CACHEINFO = 6;
const IFA_FLAGS = 8;
const IFA_F_NODAD = 0x02;
const INFINITY_LIFE_TIME = 0xffffffff;

const SCOPES: Record<string, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export interface AddrRequest {
  op: 'add' | 'del';
  ifindex: number;
  address: string;
  prefix: number;
  broadcast?: string;
  label?: string;
  scope?: string;
  seq: number;
  /** IPv6: skip duplicate address detection (keepalived's default for VIPs; `-nodad` turns DAD on) */
  nodad?: boolean;
  /** IPv6: preferred lifetime in seconds (0 = deprecated: never chosen as a source) */
  preferredLft?: number;
  /** point-to-point peer address */
  peer?: string;
  /** IFA_F_* flags */
  flags?: number;
}

export function encodeAddrRequest(r: AddrRequest): Uint8Array {
  const six = r.address.includes(':');
  const a = ipToBytes(r.address);
  const attrs = [attr(IFA_LOCAL, a), attr(IFA_ADDRESS, r.peer ? ipToBytes(r.peer) : a)];
  const flags = (r.op === 'add' ? (r.flags ?? 0) : 0) | (six && r.nodad ? IFA_F_NODAD : 0);
  if (flags > 0xff) {
    const f = new Uint8Array(4);
    new DataView(f.buffer).setUint32(0, flags, true);
    attrs.push(attr(IFA_FLAGS, f));
  }
  if (r.broadcast && !six) attrs.push(attr(IFA_BROADCAST, ipToBytes(r.broadcast)));
  if (six && r.op === 'add' && r.preferredLft !== undefined) {
    const ci = new Uint8Array(16);
    const cv = new DataView(ci.buffer);
    cv.setUint32(0, r.preferredLft, true);
    cv.setUint32(4, INFINITY_LIFE_TIME, true);
    attrs.push(attr(IFA_CACHEINFO, ci));
  }
  if (r.label) attrs.push(attr(IFA_LABEL, new TextEncoder().encode(r.label + '\0')));
  const body = 8 + attrs.reduce((n, a) => n + a.length, 0);
  const b = new Uint8Array(16 + body);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, r.op === 'add' ? RTM_NEWADDR : RTM_DELADDR, true);
  v.setUint16(
    6,
    NLM_F_REQUEST | NLM_F_ACK | (r.op === 'add' ? NLM_F_CREATE | NLM_F_REPLACE : 0),
    true,
  );
  v.setUint32(8, r.seq, true);
  v.setUint32(12, 0, true);
  b[16] = six ? 10 : 2; // AF_INET6 : AF_INET
  b[17] = r.prefix;
  b[18] = flags & 0xff;
  b[19] = SCOPES[r.scope ?? 'global'] ?? Number(r.scope);
  v.setUint32(20, r.ifindex, true);
  let off = 24;
  for (const a of attrs) {
    b.set(a, off);
    off += a.length;
  }
  return b;
}

/** The errno of an NLMSG_ERROR acknowledgement for `seq` (0 = success), or undefined if not found. */
export function decodeAck(b: Uint8Array, seq: number): number | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let off = 0;
  while (off + 16 <= b.length) {
    const len = v.getUint32(off, true);
    if (len < 16) break;
    if (
      v.getUint16(off + 4, true) === NLMSG_ERROR &&
      v.getUint32(off + 8, true) === seq &&
      len >= 20
    ) {
      return -v.getInt32(off + 16, true);
    }
    off += align4(len);
  }
  return undefined;
}
