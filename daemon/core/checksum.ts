// The Internet checksum (RFC 1071), shared by VRRP, ICMP and the pseudo-headers.

/** One's-complement sum of 16-bit words, folded to 16 bits (not yet complemented). */
export function onesSum(b: Uint8Array, start = 0, end = b.length, init = 0): number {
  let sum = init;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field's value for a folded sum. */
export const finishChecksum = (sum: number) => ~sum & 0xffff;
