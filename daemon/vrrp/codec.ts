// VRRP advertisement codec: v2 (RFC 3768, with keepalived's PASS auth) and
// v3 (RFC 5798 / RFC 9568) over IPv4. Pure functions in the style of
// dns-packet: encode, decode, encodingLength. No I/O.

export const VRRP_PROTO = 112;
export const VRRP_MCAST = '224.0.0.18';
export const VRRP_TTL = 255;
const TYPE_ADVERTISEMENT = 1;
const AUTH_DATA_LEN = 8;

import { bytesToIpv4, ipv4ToBytes } from '../core/address';
import { finishChecksum, onesSum } from '../core/checksum';

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
 * pseudo-header; RFC 9568 (and Cisco/Juniper) do not.
 */
export type V3Checksum = 'keepalived' | 'rfc9568';

/** Sum of the IPv4 pseudo-header (src, dst, zero, protocol 112, length). */
function pseudoSum(src: string, dst: string, length: number): number {
  const ph = new Uint8Array(12);
  ipv4ToBytes(src, ph, 0);
  ipv4ToBytes(dst, ph, 4);
  ph[9] = VRRP_PROTO;
  ph[10] = length >> 8;
  ph[11] = length & 0xff;
  return onesSum(ph);
}

export function encodingLength(a: Pick<Advert, 'version' | 'addresses'>): number {
  return 8 + 4 * a.addresses.length + (a.version === 2 ? AUTH_DATA_LEN : 0);
}

export interface EncodeOptions {
  /** v3 checksum pseudo-header needs the packet's IPv4 source and destination */
  src?: string;
  dst?: string;
  v3Checksum?: V3Checksum;
}

export function encode(a: Advert, opts: EncodeOptions = {}): Uint8Array {
  if (a.vrid < 1 || a.vrid > 255) throw new Error(`vrid out of range: ${a.vrid}`);
  if (a.priority < 0 || a.priority > 255) throw new Error(`priority out of range: ${a.priority}`);
  if (a.addresses.length > 255) throw new Error('too many addresses');
  const b = new Uint8Array(encodingLength(a));
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
  a.addresses.forEach((ip, i) => ipv4ToBytes(ip, b, 8 + 4 * i));
  if (a.version === 2 && a.authType === 1) {
    const pass = new TextEncoder().encode((a.authPass ?? '').slice(0, AUTH_DATA_LEN));
    b.set(pass.subarray(0, AUTH_DATA_LEN), 8 + 4 * a.addresses.length);
  }
  let sum: number;
  if (a.version === 3 && (opts.v3Checksum ?? 'keepalived') === 'keepalived') {
    if (!opts.src || !opts.dst)
      throw new Error('VRRPv3 checksum (keepalived form) needs src and dst');
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
  | { ok: true; advert: Advert; checksumForm?: V3Checksum }
  | { ok: false; reason: DecodeError; detail: string };

/**
 * Decode and validate one VRRP message (the IP payload). `src`/`dst` are
 * needed to verify a v3 checksum that includes the pseudo-header; both v3
 * forms are accepted and the one that matched is reported.
 */
export function decode(b: Uint8Array, src?: string, dst?: string): Decoded {
  if (b.length < 8) return { ok: false, reason: 'length', detail: `${b.length} bytes` };
  const version = b[0] >> 4;
  const type = b[0] & 0x0f;
  if (version !== 2 && version !== 3)
    return { ok: false, reason: 'version', detail: `version ${version}` };
  if (type !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'type', detail: `type ${type}` };
  const count = b[3];
  const need = 8 + 4 * count + (version === 2 ? AUTH_DATA_LEN : 0);
  // v2 senders without authentication sometimes omit the auth data; accept that length too
  const v2NoAuthData = version === 2 && b.length === 8 + 4 * count;
  if (b.length < need && !v2NoAuthData)
    return {
      ok: false,
      reason: 'length',
      detail: `${b.length} < ${need} bytes for ${count} addresses`,
    };
  const msg = b.subarray(0, v2NoAuthData ? b.length : need);
  let checksumForm: V3Checksum | undefined;
  if (version === 2) {
    if (finishChecksum(onesSum(msg)) !== 0)
      return { ok: false, reason: 'checksum', detail: 'bad checksum' };
  } else {
    if (
      src &&
      dst &&
      finishChecksum(onesSum(msg, 0, msg.length, pseudoSum(src, dst, msg.length))) === 0
    )
      checksumForm = 'keepalived';
    else if (finishChecksum(onesSum(msg)) === 0) checksumForm = 'rfc9568';
    else
      return {
        ok: false,
        reason: 'checksum',
        detail: 'bad checksum (neither with nor without pseudo-header)',
      };
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(bytesToIpv4(b, 8 + 4 * i));
  const advert: Advert =
    version === 2
      ? {
          version: 2,
          vrid: b[1],
          priority: b[2],
          advertInt: b[5],
          addresses,
          authType: b[4] as AuthType,
          ...(b[4] === 1 && !v2NoAuthData
            ? { authPass: authText(b.subarray(8 + 4 * count, need)) }
            : {}),
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

export interface Ipv4Header {
  headerLength: number;
  tos: number;
  ttl: number;
  protocol: number;
  src: string;
  dst: string;
  totalLength: number;
}

/** The fields of an IPv4 header a VRRP receiver checks (raw sockets deliver it). */
export function decodeIpv4(b: Uint8Array): Ipv4Header | undefined {
  if (b.length < 20 || b[0] >> 4 !== 4) return undefined;
  const headerLength = (b[0] & 0x0f) * 4;
  if (headerLength < 20 || b.length < headerLength) return undefined;
  return {
    headerLength,
    tos: b[1],
    totalLength: (b[2] << 8) | b[3],
    ttl: b[8],
    protocol: b[9],
    src: bytesToIpv4(b, 12),
    dst: bytesToIpv4(b, 16),
  };
}
