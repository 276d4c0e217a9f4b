// IP headers a raw-socket receiver sees, both families, pure. IPv4 raw
// sockets deliver the header; IPv6 raw sockets do not, so the IPv6 channel
// rebuilds a fixed header from what recvmsg reports (source, destination,
// hop limit) and one receive path validates both.
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from '../core/address';

export interface IpHeader {
  family: 4 | 6;
  headerLength: number;
  /** IPv4 TOS / IPv6 traffic class */
  tos: number;
  /** IPv4 TTL / IPv6 hop limit */
  ttl: number;
  /** IPv4 protocol / IPv6 next header */
  protocol: number;
  src: string;
  dst: string;
  /** header plus payload, as the header states it */
  totalLength: number;
}

export const IPV6_HEADER_LENGTH = 40;

/** The header of an IPv4 or IPv6 packet, or undefined when it is neither. */
export function decodeIpHeader(b: Uint8Array): IpHeader | undefined {
  if (b.length < 1) return undefined;
  const version = b[0] >> 4;
  if (version === 4) {
    if (b.length < 20) return undefined;
    const headerLength = (b[0] & 0x0f) * 4;
    if (headerLength < 20 || b.length < headerLength) return undefined;
    return {
      family: 4,
      headerLength,
      tos: b[1],
      totalLength: (b[2] << 8) | b[3],
      ttl: b[8],
      protocol: b[9],
      src: bytesToIpv4(b, 12),
      dst: bytesToIpv4(b, 16),
    };
  }
  if (version === 6) {
    if (b.length < IPV6_HEADER_LENGTH) return undefined;
    return {
      family: 6,
      headerLength: IPV6_HEADER_LENGTH,
      tos: ((b[0] & 0x0f) << 4) | (b[1] >> 4),
      totalLength: IPV6_HEADER_LENGTH + ((b[4] << 8) | b[5]),
      protocol: b[6],
      ttl: b[7],
      src: bytesToIpv6(b, 8),
      dst: bytesToIpv6(b, 24),
    };
  }
  return undefined;
}

/** A fixed IPv6 header (no extension headers) in front of `payload`. */
export function ipv6Packet(
  payload: Uint8Array,
  src: string,
  dst: string,
  nextHeader: number,
  hopLimit: number,
  trafficClass = 0,
): Uint8Array {
  const addresses = new Uint8Array(32);
  ipv6ToBytes(src, addresses, 0);
  ipv6ToBytes(dst, addresses, 16);
  return ipv6PacketOf(payload, addresses, nextHeader, hopLimit, trafficClass);
}

/**
 * The same from `addresses`, the 32 bytes of source then destination as
 * recvmsg gives them: the receive path builds no address strings.
 */
export function ipv6PacketOf(
  payload: Uint8Array,
  addresses: Uint8Array,
  nextHeader: number,
  hopLimit: number,
  trafficClass = 0,
): Uint8Array {
  const b = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
  b[0] = 0x60 | (trafficClass >> 4);
  b[1] = (trafficClass & 0x0f) << 4;
  b[4] = payload.length >> 8;
  b[5] = payload.length & 0xff;
  b[6] = nextHeader;
  b[7] = hopLimit;
  b.set(addresses.subarray(0, 32), 8);
  b.set(payload, IPV6_HEADER_LENGTH);
  return b;
}

/** An IPv4 header (no options, checksum filled in) in front of `payload`. */
export function ipv4Packet(
  payload: Uint8Array,
  src: string,
  dst: string,
  protocol: number,
  ttl: number,
  tos = 0,
): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  b[0] = 0x45;
  b[1] = tos;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b[8] = ttl;
  b[9] = protocol;
  ipv4ToBytes(src, b, 12);
  ipv4ToBytes(dst, b, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const ck = ~sum & 0xffff;
  b[10] = ck >> 8;
  b[11] = ck & 0xff;
  b.set(payload, 20);
  return b;
}

/**
 * The one's-complement sum of a pseudo-header: IPv4 (src, dst, zero,
 * protocol, 16-bit length; RFC 768) or IPv6 (src, dst, 32-bit length, three
 * zeros, next header; RFC 8200 8.1), by the family of `src`.
 */
export function pseudoHeader(src: string, dst: string, protocol: number, length: number) {
  if (src.includes(':')) {
    const ph = new Uint8Array(40);
    ipv6ToBytes(src, ph, 0);
    ipv6ToBytes(dst, ph, 16);
    ph[34] = length >> 8;
    ph[35] = length & 0xff;
    ph[39] = protocol;
    return ph;
  }
  const ph = new Uint8Array(12);
  ipv4ToBytes(src, ph, 0);
  ipv4ToBytes(dst, ph, 4);
  ph[9] = protocol;
  ph[10] = length >> 8;
  ph[11] = length & 0xff;
  return ph;
}
