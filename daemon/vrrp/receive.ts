// Receive-side validation of an advertisement (RFC 3768 7.1, RFC 5798 7.1),
// pure: raw IP packet (IPv4, or IPv6 with the header the channel rebuilt) +
// the instance's expectations -> advert or drop reason.
import { decodeIpHeader, ipv4Packet, ipv6Packet } from '../net/ip-header';
import { decode, VRRP_PROTO, VRRP_TTL, type Advert, type V3Checksum } from './codec';

export const DROP_REASONS = [
  'ttl',
  'version',
  'checksum',
  'vrid',
  'auth',
  'interval',
  'length',
  'type',
  'protocol',
  'source',
  'addresses',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface Expect {
  version: 2 | 3;
  vrid: number;
  /** v2: 0 none, 1 PASS */
  authType: 0 | 1;
  authPass?: string;
  /** seconds (v2 must match) */
  advertInt: number;
  /**
   * unicast: no TTL/hop limit of 255 required (keepalived); with checkSrc the
   * source must be a peer, its TTL within the peer's min_ttl..max_ttl
   */
  unicast?: {
    checkSrc: boolean;
    peers: readonly { address: string; min_ttl?: number; max_ttl?: number }[];
  };
  /**
   * keepalived drops an advert whose addresses are not exactly ours; with
   * skip_check_adv_addr a backup skips that check for adverts from the master
   * it already knows (this source)
   */
  skipAddressCheckFrom?: string;
  /** also verify a v3 checksum with this pseudo-header destination (old unicast form) */
  altChecksumDst?: string;
}

export type Received =
  | {
      ok: true;
      advert: Advert;
      src: string;
      dst: string;
      ttl: number;
      checksumForm?: V3Checksum | 'old-unicast';
      addressesMatch: boolean;
    }
  | { ok: false; reason: DropReason; detail: string; src?: string };

/**
 * The VRID of a packet (to find its instance) without validating anything
 * else. Every packet on the link comes here, a flood too: no allocation.
 */
export function peekVrid(packet: Uint8Array): number | undefined {
  const version = packet.length ? packet[0] >> 4 : 0;
  const headerLength =
    version === 4 && packet.length >= 20 ? (packet[0] & 0x0f) * 4 : version === 6 ? 40 : 0;
  if (headerLength < 20 || packet.length < headerLength + 2) return undefined;
  return packet[headerLength + 1];
}

/** The source address of a packet, when it has an IP header. */
export const peekSource = (packet: Uint8Array) => decodeIpHeader(packet)?.src;

/** `vips`: the instance's addresses, checked against the advert's (none given: not checked). */
export function receive(packet: Uint8Array, exp: Expect, vips?: readonly string[]): Received {
  const ip = decodeIpHeader(packet);
  if (!ip) return { ok: false, reason: 'length', detail: 'not an IP packet' };
  if (ip.protocol !== VRRP_PROTO)
    return { ok: false, reason: 'protocol', detail: `IP protocol ${ip.protocol}`, src: ip.src };
  if (!exp.unicast && ip.ttl !== VRRP_TTL)
    return { ok: false, reason: 'ttl', detail: `TTL ${ip.ttl}, must be 255`, src: ip.src };
  const end = Math.min(packet.length, ip.totalLength || packet.length);
  const d = decode(packet.subarray(ip.headerLength, end), ip.src, ip.dst, exp.altChecksumDst);
  if (!d.ok)
    return {
      ok: false,
      reason: d.reason === 'count' ? 'length' : d.reason,
      detail: d.detail,
      src: ip.src,
    };
  const a = d.advert;
  if (a.version !== exp.version)
    return {
      ok: false,
      reason: 'version',
      detail: `version ${a.version}, configured ${exp.version}`,
      src: ip.src,
    };
  if (a.vrid !== exp.vrid)
    return {
      ok: false,
      reason: 'vrid',
      detail: `VRID ${a.vrid}, configured ${exp.vrid}`,
      src: ip.src,
    };
  if (a.version === 2) {
    if ((a.authType ?? 0) !== exp.authType) {
      return {
        ok: false,
        reason: 'auth',
        detail: `auth type ${a.authType}, configured ${exp.authType}`,
        src: ip.src,
      };
    }
    if (exp.authType === 1 && (a.authPass ?? '') !== (exp.authPass ?? '').slice(0, 8)) {
      return { ok: false, reason: 'auth', detail: 'wrong password', src: ip.src };
    }
    // RFC 3768 7.1: the interval MUST match; keepalived rounds configured v2 intervals to seconds
    if (a.advertInt !== Math.max(1, Math.round(exp.advertInt))) {
      return {
        ok: false,
        reason: 'interval',
        detail: `advert_int ${a.advertInt}s, configured ${exp.advertInt}s`,
        src: ip.src,
      };
    }
  }
  if (exp.unicast?.checkSrc) {
    const peer = exp.unicast.peers.find((p) => p.address === ip.src);
    if (!peer)
      return {
        ok: false,
        reason: 'source',
        detail: `${ip.src} is not a unicast peer`,
        src: ip.src,
      };
    const [min, max] = [peer.min_ttl ?? 0, peer.max_ttl ?? 255];
    if (ip.ttl < min || ip.ttl > max)
      return {
        ok: false,
        reason: 'ttl',
        detail: `TTL ${ip.ttl} not in ${min}..${max}`,
        src: ip.src,
      };
  }
  const want = [...(vips ?? a.addresses)].sort().join(',');
  const got = [...a.addresses].sort().join(',');
  if (want !== got && ip.src !== exp.skipAddressCheckFrom)
    return {
      ok: false,
      reason: 'addresses',
      detail: `addresses [${got}] are not ours [${want}]`,
      src: ip.src,
    };
  return {
    ok: true,
    advert: a,
    src: ip.src,
    dst: ip.dst,
    ttl: ip.ttl,
    ...(d.checksumForm ? { checksumForm: d.checksumForm } : {}),
    addressesMatch: want === got,
  };
}

/** A full IP packet (the family of `src`) around a VRRP payload: tests, and tools that inject adverts. */
export function vrrpPacket(payload: Uint8Array, src: string, dst: string, ttl = VRRP_TTL) {
  const tos = 0xc0; // precedence internetwork control, as keepalived sends
  return src.includes(':')
    ? ipv6Packet(payload, src, dst, VRRP_PROTO, ttl, tos)
    : ipv4Packet(payload, src, dst, VRRP_PROTO, ttl, tos);
}
