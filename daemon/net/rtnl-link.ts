// rtnetlink link messages for VRRP virtual MACs (keepalived's vrrp_vmac.c),
// pure: create a private-mode macvlan on a base interface, turn off IPv6
// address generation on it, bring it up, delete it. Host byte order is
// little-endian on every platform we build for.
import { nlattr as attr } from './nlattr';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const IFF_UP = 0x1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_LINKINFO = 18;
const IFLA_AF_SPEC = 26;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;
const AF_INET6 = 10;
const IFLA_INET6_ADDR_GEN_MODE = 8;
const IN6_ADDR_GEN_MODE_NONE = 1;

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const cstr = (s: string) => new TextEncoder().encode(s + '\0');
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
};

/** nlmsghdr + ifinfomsg (AF_UNSPEC) + attributes */
function linkMessage(
  type: number,
  flags: number,
  seq: number,
  ifi: { index?: number; flags?: number; change?: number },
  attrs: Uint8Array[],
): Uint8Array {
  const body = concat(attrs);
  const b = new Uint8Array(32 + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, NLM_F_REQUEST | NLM_F_ACK | flags, true);
  v.setUint32(8, seq, true);
  // ifinfomsg: family 0 (AF_UNSPEC), pad, type 0, index, flags, change
  v.setInt32(20, ifi.index ?? 0, true);
  v.setUint32(24, ifi.flags ?? 0, true);
  v.setUint32(28, ifi.change ?? 0, true);
  b.set(body, 32);
  return b;
}

export interface NewMacvlan {
  seq: number;
  /** the new interface's name (at most 15 bytes) */
  name: string;
  /** ifindex of the interface it sits on */
  link: number;
  mac: Uint8Array;
  /** MACVLAN_MODE_*: keepalived uses private */
  mode?: number;
}

/** RTM_NEWLINK, create-exclusive: a macvlan `name` on `link` with MAC `mac`. */
export function encodeNewMacvlan(r: NewMacvlan): Uint8Array {
  if (r.mac.length !== 6) throw new Error('a MAC address has 6 bytes');
  const linkinfo = attr(
    IFLA_LINKINFO,
    concat([
      attr(IFLA_INFO_KIND, cstr('macvlan')),
      attr(IFLA_INFO_DATA, attr(IFLA_MACVLAN_MODE, u32(r.mode ?? MACVLAN_MODE_PRIVATE))),
    ]),
  );
  return linkMessage(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, r.seq, {}, [
    attr(IFLA_LINK, u32(r.link)),
    attr(IFLA_IFNAME, cstr(r.name)),
    attr(IFLA_ADDRESS, r.mac),
    linkinfo,
  ]);
}

/**
 * RTM_NEWLINK on an existing link: IPv6 address generation mode `none` (no
 * EUI-64 link-local from the shared virtual MAC, RFC 5798 7.4). The kernel
 * reads IFLA_AF_SPEC only on an existing link, so this is a message of its own.
 */
export function encodeAddrGenModeNone(seq: number, index: number): Uint8Array {
  const b = new Uint8Array(1);
  b[0] = IN6_ADDR_GEN_MODE_NONE;
  return linkMessage(RTM_NEWLINK, 0, seq, { index }, [
    attr(IFLA_AF_SPEC, attr(AF_INET6, attr(IFLA_INET6_ADDR_GEN_MODE, b))),
  ]);
}

/** RTM_NEWLINK: set IFF_UP (or clear it) on `index`. */
export function encodeLinkUp(seq: number, index: number, up = true): Uint8Array {
  return linkMessage(RTM_NEWLINK, 0, seq, { index, flags: up ? IFF_UP : 0, change: IFF_UP }, []);
}

/** RTM_DELLINK of `index`. */
export function encodeDelLink(seq: number, index: number): Uint8Array {
  return linkMessage(RTM_DELLINK, 0, seq, { index }, []);
}
