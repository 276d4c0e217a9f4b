// IP addresses as text and as network-order bytes, for both families.
import { isIP } from 'node:net';

export type Family = 4 | 6;

/** 4 or 6 for a valid address, undefined otherwise (node's own parser decides). */
export function familyOf(ip: string): Family | undefined {
  const f = isIP(ip);
  return f === 4 || f === 6 ? f : undefined;
}

export function ipv4ToBytes(ip: string, out: Uint8Array, off: number) {
  const p = ip.split('.');
  if (p.length !== 4) throw new Error(`not an IPv4 address: ${ip}`);
  for (let i = 0; i < 4; i++) {
    const n = Number(p[i]);
    if (!/^\d{1,3}$/.test(p[i]) || n > 255) throw new Error(`not an IPv4 address: ${ip}`);
    out[off + i] = n;
  }
}

export const bytesToIpv4 = (b: Uint8Array, off: number) =>
  `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/** 16 bytes of an IPv6 address (`::` and a trailing dotted quad allowed). */
export function ipv6ToBytes(ip: string, out: Uint8Array, off: number) {
  if (familyOf(ip) !== 6) throw new Error(`not an IPv6 address: ${ip}`);
  let text = ip.replace(/%.*$/, ''); // a zone index names a link, not address bits
  const words: number[] = [];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const b = new Uint8Array(4);
    ipv4ToBytes(quad[1], b, 0);
    text = `${text.slice(0, -quad[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const hi = part(head);
  const lo = part(tail);
  words.push(
    ...hi,
    ...new Array<number>(tail === undefined ? 0 : 8 - hi.length - lo.length).fill(0),
    ...lo,
  );
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = words[i] >> 8;
    out[off + 2 * i + 1] = words[i] & 0xff;
  }
}

/** RFC 5952 text: lower case, the longest run of two or more zero words as `::`. */
export function bytesToIpv6(b: Uint8Array, off: number): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Network-order bytes of either family (4 or 16 of them). */
export function ipToBytes(ip: string): Uint8Array {
  const f = familyOf(ip);
  if (!f) throw new Error(`not an IP address: ${ip}`);
  const b = new Uint8Array(f === 4 ? 4 : 16);
  if (f === 4) ipv4ToBytes(ip, b, 0);
  else ipv6ToBytes(ip, b, 0);
  return b;
}
