// Receive-side validation of an advertisement (RFC 3768 7.1, RFC 5798 7.1),
// pure: raw IPv4 packet + the instance's expectations -> advert or drop reason.
import { decode, decodeIpv4, VRRP_PROTO, VRRP_TTL, type Advert, type V3Checksum } from './codec';

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
}

export type Received =
  | {
      ok: true;
      advert: Advert;
      src: string;
      dst: string;
      ttl: number;
      checksumForm?: V3Checksum;
      addressesMatch: boolean;
    }
  | { ok: false; reason: DropReason; detail: string; src?: string };

/** The VRID of a packet (to find its instance) without validating anything else. */
export function peekVrid(packet: Uint8Array): number | undefined {
  const ip = decodeIpv4(packet);
  if (!ip || packet.length < ip.headerLength + 2) return undefined;
  return packet[ip.headerLength + 1];
}

export function receive(packet: Uint8Array, exp: Expect, vips: readonly string[] = []): Received {
  const ip = decodeIpv4(packet);
  if (!ip) return { ok: false, reason: 'length', detail: 'not an IPv4 packet' };
  if (ip.protocol !== VRRP_PROTO)
    return { ok: false, reason: 'protocol', detail: `IP protocol ${ip.protocol}`, src: ip.src };
  if (ip.ttl !== VRRP_TTL)
    return { ok: false, reason: 'ttl', detail: `TTL ${ip.ttl}, must be 255`, src: ip.src };
  const end = Math.min(packet.length, ip.totalLength || packet.length);
  const d = decode(packet.subarray(ip.headerLength, end), ip.src, ip.dst);
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
  const want = [...vips].sort().join(',');
  const got = [...a.addresses].sort().join(',');
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

/** Build a full IPv4 packet around a VRRP payload (tests, and tools that inject adverts). */
export function ipv4Packet(
  payload: Uint8Array,
  src: string,
  dst: string,
  ttl = VRRP_TTL,
  tos = 0xc0,
): Uint8Array {
  const b = new Uint8Array(20 + payload.length);
  b[0] = 0x45;
  b[1] = tos;
  b[2] = b.length >> 8;
  b[3] = b.length & 0xff;
  b[8] = ttl;
  b[9] = VRRP_PROTO;
  const put = (ip: string, off: number) =>
    ip.split('.').forEach((o, i) => (b[off + i] = Number(o)));
  put(src, 12);
  put(dst, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (b[i] << 8) | b[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const ck = ~sum & 0xffff;
  b[10] = ck >> 8;
  b[11] = ck & 0xff;
  b.set(payload, 20);
  return b;
}
