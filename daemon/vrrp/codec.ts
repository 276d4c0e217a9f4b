// VRRP advertisement codec: v2 (RFC 3768, with keepalived's PASS auth) and
// v3 (RFC 5798 / RFC 9568) over IPv4 and IPv6. Pure functions in the style of
// dns-packet: encode, decode, encodingLength. No I/O.

export const VRRP_PROTO = 112;
export const VRRP_MCAST = '224.0.0.18';
/** RFC 5798 5.1.2.2: the IPv6 multicast address of VRRP */
export const VRRP_MCAST6 = 'ff02::12';
export const VRRP_TTL = 255;
const TYPE_ADVERTISEMENT = 1;
const AUTH_DATA_LEN = 8;

import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from '../core/address';
import { finishChecksum, onesSum } from '../core/checksum';
import { pseudoHeader } from '../net/ip-header';

export type AuthType = 0 | 1 | 2; // none, simple text password, IP AH (RFC 2338)

export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** seconds (v2: whole seconds on the wire; v3: centisecond resolution) */
  advertInt: number;
  addresses: string[];
  /** v2 only */
  authType?: AuthType;
  /** v2 auth type 1: up to 8 characters */
  authPass?: string;
}

/**
 * VRRPv3 over IPv4 checksum: keepalived and FRR include an IPv4
 * pseudo-header; RFC 9568 (and Cisco/Juniper) do not. Over IPv6 the
 * pseudo-header is always included (RFC 5798 5.2.8).
 */
export type V3Checksum = 'keepalived' | 'rfc9568';

const pseudoSum = (src: string, dst: string, length: number) =>
  onesSum(pseudoHeader(src, dst, VRRP_PROTO, length));

/** The address family of an advert: that of its addresses (all one family), else of `src`. */
export function familyOfAdvert(addresses: readonly string[], src?: string): 4 | 6 {
  const probe = addresses[0] ?? src ?? '';
  return probe.includes(':') ? 6 : 4;
}

export function encodingLength(
  a: Pick<Advert, 'version' | 'addresses'>,
  family: 4 | 6 = familyOfAdvert(a.addresses),
): number {
  return 8 + (family === 6 ? 16 : 4) * a.addresses.length + (a.version === 2 ? AUTH_DATA_LEN : 0);
}

export interface EncodeOptions {
  /** the v3 checksum's pseudo-header needs the packet's source and destination */
  src?: string;
  dst?: string;
  v3Checksum?: V3Checksum;
}

export function encode(a: Advert, opts: EncodeOptions = {}): Uint8Array {
  if (a.vrid < 1 || a.vrid > 255) throw new Error(`vrid out of range: ${a.vrid}`);
  if (a.priority < 0 || a.priority > 255) throw new Error(`priority out of range: ${a.priority}`);
  if (a.addresses.length > 255) throw new Error('too many addresses');
  const family = familyOfAdvert(a.addresses, opts.src);
  if (family === 6 && a.version !== 3) throw new Error('VRRP over IPv6 is version 3 only');
  const b = new Uint8Array(encodingLength(a, family));
  b[0] = (a.version << 4) | TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  if (a.version === 2) {
    b[4] = a.authType ?? 0;
    b[5] = Math.min(255, Math.max(1, Math.round(a.advertInt)));
  } else {
    const cs = Math.min(0xfff, Math.max(1, Math.round(a.advertInt * 100)));
    b[4] = cs >> 8;
    b[5] = cs & 0xff;
  }
  if (family === 6) a.addresses.forEach((ip, i) => ipv6ToBytes(ip, b, 8 + 16 * i));
  else a.addresses.forEach((ip, i) => ipv4ToBytes(ip, b, 8 + 4 * i));
  if (a.version === 2 && a.authType === 1) {
    const pass = new TextEncoder().encode((a.authPass ?? '').slice(0, AUTH_DATA_LEN));
    b.set(pass.subarray(0, AUTH_DATA_LEN), 8 + 4 * a.addresses.length);
  }
  let sum: number;
  if (a.version === 3 && (family === 6 || (opts.v3Checksum ?? 'keepalived') === 'keepalived')) {
    if (!opts.src || !opts.dst)
      throw new Error('VRRPv3 checksum with pseudo-header needs src and dst');
    sum = onesSum(b, 0, b.length, pseudoSum(opts.src, opts.dst, b.length));
  } else {
    sum = onesSum(b);
  }
  const ck = finishChecksum(sum);
  b[6] = ck >> 8;
  b[7] = ck & 0xff;
  return b;
}

export type DecodeError = 'length' | 'version' | 'type' | 'checksum' | 'count';

export type Decoded =
  | { ok: true; advert: Advert; checksumForm?: V3Checksum | 'old-unicast' }
  | { ok: false; reason: DecodeError; detail: string };

/**
 * Decode and validate one VRRP message (the IP payload). `src`/`dst` are
 * needed to verify a v3 checksum that includes the pseudo-header; over IPv4
 * both v3 forms are accepted and the one that matched is reported. The
 * family (4- or 16-byte addresses) is that of `src`, IPv4 without one.
 */
export function decode(b: Uint8Array, src?: string, dst?: string, altDst?: string): Decoded {
  const family = src?.includes(':') ? 6 : 4;
  const width = family === 6 ? 16 : 4;
  if (b.length < 8) return { ok: false, reason: 'length', detail: `${b.length} bytes` };
  const version = b[0] >> 4;
  const type = b[0] & 0x0f;
  if (version !== 2 && version !== 3)
    return { ok: false, reason: 'version', detail: `version ${version}` };
  if (type !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'type', detail: `type ${type}` };
  const count = b[3];
  if (family === 6 && version !== 3)
    return { ok: false, reason: 'version', detail: `version ${version} over IPv6` };
  const need = 8 + width * count + (version === 2 ? AUTH_DATA_LEN : 0);
  // v2 senders without authentication sometimes omit the auth data; accept that length too
  const v2NoAuthData = version === 2 && b.length === 8 + 4 * count;
  if (b.length < need && !v2NoAuthData)
    return {
      ok: false,
      reason: 'length',
      detail: `${b.length} < ${need} bytes for ${count} addresses`,
    };
  const msg = b.subarray(0, v2NoAuthData ? b.length : need);
  const auth = 8 + width * count;
  let checksumForm: V3Checksum | 'old-unicast' | undefined;
  if (version === 2) {
    if (finishChecksum(onesSum(msg)) !== 0)
      return { ok: false, reason: 'checksum', detail: 'bad checksum' };
  } else {
    if (
      src &&
      dst &&
      finishChecksum(onesSum(msg, 0, msg.length, pseudoSum(src, dst, msg.length))) === 0
    )
      checksumForm = family === 6 ? undefined : 'keepalived';
    else if (family === 4 && finishChecksum(onesSum(msg)) === 0) checksumForm = 'rfc9568';
    else if (
      src &&
      altDst &&
      finishChecksum(onesSum(msg, 0, msg.length, pseudoSum(src, altDst, msg.length))) === 0
    )
      checksumForm = 'old-unicast'; // keepalived <= 1.3.5's unicast form (see unicast-checksum.ts)
    else
      return {
        ok: false,
        reason: 'checksum',
        detail: 'bad checksum (neither with nor without pseudo-header)',
      };
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++)
    addresses.push(family === 6 ? bytesToIpv6(b, 8 + 16 * i) : bytesToIpv4(b, 8 + 4 * i));
  const advert: Advert =
    version === 2
      ? {
          version: 2,
          vrid: b[1],
          priority: b[2],
          advertInt: b[5],
          addresses,
          authType: b[4] as AuthType,
          ...(b[4] === 1 && !v2NoAuthData ? { authPass: authText(b.subarray(auth, need)) } : {}),
        }
      : {
          version: 3,
          vrid: b[1],
          priority: b[2],
          advertInt: (((b[4] & 0x0f) << 8) | b[5]) / 100,
          addresses,
        };
  return checksumForm ? { ok: true, advert, checksumForm } : { ok: true, advert };
}

function authText(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}
