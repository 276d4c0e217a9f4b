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
