// Unsolicited neighbour advertisement frame (RFC 4861 7.2.6), pure: what an
// IPv6 master sends in place of gratuitous ARP (keepalived's vrrp_ndisc.c).
// The VIP advertises itself to all nodes with the Override flag, so caches
// that hold the old master's MAC take ours.
import { ipv6ToBytes } from '../core/address';
import { finishChecksum, onesSum } from '../core/checksum';
import { IPV6_HEADER_LENGTH, ipv6Packet, pseudoHeader } from './ip-header';

export const ALL_NODES = 'ff02::1';
const ICMPV6 = 58;
const ND_NEIGHBOR_ADVERT = 136;
const ND_NA_FLAG_ROUTER = 0x80;
const ND_NA_FLAG_OVERRIDE = 0x20;
const ND_OPT_TARGET_LINKADDR = 2;

/** The ICMPv6 message: NA for `target` with our link-layer address as option. */
export function neighbourAdvert(target: string, mac: Uint8Array, router: boolean): Uint8Array {
  const m = new Uint8Array(24 + 8);
  m[0] = ND_NEIGHBOR_ADVERT;
  m[4] = ND_NA_FLAG_OVERRIDE | (router ? ND_NA_FLAG_ROUTER : 0);
  ipv6ToBytes(target, m, 8);
  m[24] = ND_OPT_TARGET_LINKADDR;
  m[25] = 1; // in units of 8 bytes
  m.set(mac.subarray(0, 6), 26);
  const ck = finishChecksum(
    onesSum(m, 0, m.length, onesSum(pseudoHeader(target, ALL_NODES, ICMPV6, m.length))),
  );
  m[2] = ck >> 8;
  m[3] = ck & 0xff;
  return m;
}

/** The whole Ethernet frame, from the VIP to all nodes (33:33:00:00:00:01), hop limit 255. */
export function unsolicitedNaFrame(mac: Uint8Array, vip: string, router: boolean): Uint8Array {
  const ip = ipv6Packet(neighbourAdvert(vip, mac, router), vip, ALL_NODES, ICMPV6, 255);
  const f = new Uint8Array(14 + ip.length);
  f.set([0x33, 0x33, 0, 0, 0, 1], 0);
  f.set(mac.subarray(0, 6), 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  f.set(ip, 14);
  return f;
}

export const NA_FRAME_LENGTH = 14 + IPV6_HEADER_LENGTH + 32;
