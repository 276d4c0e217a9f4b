// Whole Ethernet frames around IP packets whose every header field may be
// wrong on purpose (an AF_PACKET socket sends them as they are: a raw IP
// socket would rewrite the IPv4 total length and checksum). Pure.
import { ipv6ToBytes } from '../../daemon/core/address';
import { finishChecksum, onesSum } from '../../daemon/core/checksum';
import { IPV6_HEADER_LENGTH } from '../../daemon/net/ip-header';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
const NEXTHDR_FRAGMENT = 44;

/** the Ethernet multicast address of an IPv4 (01:00:5e) or IPv6 (33:33) group */
export function multicastMac(group: string): Uint8Array {
  if (group.includes(':')) {
    const b = new Uint8Array(16);
    ipv6ToBytes(group, b, 0);
    return Uint8Array.from([0x33, 0x33, b[12], b[13], b[14], b[15]]);
  }
  const [, b, c, d] = group.split('.').map(Number);
  return Uint8Array.from([0x01, 0x00, 0x5e, b & 0x7f, c, d]);
}

export function ethernet(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array) {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

/** Recompute an IPv4 header's checksum in place (after a field was changed on purpose). */
export function fixIpv4Checksum(p: Uint8Array) {
  const ihl = (p[0] & 0x0f) * 4;
  p[10] = p[11] = 0;
  const ck = finishChecksum(onesSum(p, 0, Math.min(ihl, p.length)));
  p[10] = ck >> 8;
  p[11] = ck & 0xff;
  return p;
}

/** An IPv4 packet with `words` 32-bit words of NOP options between header and payload. */
export function withIpv4Options(p: Uint8Array, words: number): Uint8Array {
  const ihl = (p[0] & 0x0f) * 4;
  const out = new Uint8Array(p.length + 4 * words);
  out.set(p.subarray(0, ihl), 0);
  out.fill(1, ihl, ihl + 4 * words); // IPOPT_NOOP
  out.set(p.subarray(ihl), ihl + 4 * words);
  out[0] = 0x40 | (ihl / 4 + words);
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  return fixIpv4Checksum(out);
}

/**
 * An IPv6 packet (fixed header, no extension headers) cut into fragments of
 * at most `mtu` bytes each, as a host on a link of that MTU sends it.
 */
export function ipv6Fragments(p: Uint8Array, mtu: number, id: number): Uint8Array[] {
  const payload = p.subarray(IPV6_HEADER_LENGTH);
  const step = (mtu - IPV6_HEADER_LENGTH - 8) & ~7;
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += step) {
    const part = payload.subarray(off, off + step);
    const more = off + step < payload.length ? 1 : 0;
    const f = new Uint8Array(IPV6_HEADER_LENGTH + 8 + part.length);
    f.set(p.subarray(0, IPV6_HEADER_LENGTH), 0);
    f[4] = (8 + part.length) >> 8;
    f[5] = (8 + part.length) & 0xff;
    f[6] = NEXTHDR_FRAGMENT;
    f[40] = p[6]; // the next header of the reassembled packet
    f[42] = off >> 8;
    f[43] = (off & 0xf8) | more;
    new DataView(f.buffer).setUint32(44, id >>> 0);
    f.set(part, 48);
    out.push(f);
  }
  return out;
}
