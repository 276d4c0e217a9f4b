// Netlink attributes (struct nlattr: u16 length, u16 type, data, padded to 4),
// shared by the rtnetlink and generic netlink (IPVS) codecs.

export const align4 = (n: number) => (n + 3) & ~3;

export function nlattr(type: number, data: Uint8Array): Uint8Array {
  const len = 4 + data.length;
  const b = new Uint8Array(align4(len));
  const v = new DataView(b.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  b.set(data, 4);
  return b;
}

const le = (n: number, f: (v: DataView) => void) => {
  const b = new Uint8Array(n);
  f(new DataView(b.buffer));
  return b;
};
export const u8 = (x: number) => Uint8Array.of(x & 0xff);
export const u16 = (x: number) => le(2, (v) => v.setUint16(0, x, true));
export const u32 = (x: number) => le(4, (v) => v.setUint32(0, x >>> 0, true));
/** a NUL-terminated string attribute payload */
export const cstr = (s: string) => new TextEncoder().encode(s + '\0');

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

/** struct nlmsghdr (pid 0) + a fixed header + attributes */
export function nlmsg(
  type: number,
  flags: number,
  seq: number,
  header: Uint8Array,
  attrs: Uint8Array[],
): Uint8Array {
  const body = concat([header, ...attrs]);
  const b = new Uint8Array(16 + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  b.set(body, 16);
  return b;
}
