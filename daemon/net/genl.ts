// Generic netlink, pure: the message frame (nlmsghdr + genlmsghdr), the
// controller's family lookup by name, and the parsing of replies. IPVS
// (dataplane/ipvs.ts) and its sync daemon commands ride on it.
import { align4, concat, NLM_F_ACK, NLM_F_REQUEST, nlattr as attr } from './nlattr';

export const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_ID = 1;
const CTRL_ATTR_FAMILY_NAME = 2;
export const NLM_F_DUMP = 0x300;
export { concat, NLM_F_ACK, NLM_F_REQUEST };

export function genlMessage(
  family: number,
  cmd: number,
  version: number,
  attrs: Uint8Array[],
  seq: number,
  flags = NLM_F_REQUEST | NLM_F_ACK,
) {
  const body = concat(attrs);
  const b = new Uint8Array(20 + body.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, b.length, true);
  v.setUint16(4, family, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, 0, true);
  b[16] = cmd;
  b[17] = version;
  b.set(body, 20);
  return b;
}

/** CTRL_CMD_GETFAMILY for a generic netlink family by name ("IPVS"). */
export function getFamilyMessage(name: string, seq: number): Uint8Array {
  const s = new TextEncoder().encode(name + '\0');
  return genlMessage(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, [attr(CTRL_ATTR_FAMILY_NAME, s)], seq);
}

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  /** NLMSG_ERROR: errno (0 = ack) */
  error?: number;
  cmd?: number;
  attrs?: Map<number, Uint8Array>;
}

export function parseAttrs(b: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  while (o + 4 <= b.length) {
    const len = v.getUint16(o, true);
    const type = v.getUint16(o + 2, true) & 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || o + len > b.length) break;
    m.set(type, b.subarray(o + 4, o + len));
    o += align4(len);
  }
  return m;
}

/** Split a netlink receive buffer into messages (genetlink payloads decoded). */
export function parseMessages(b: Uint8Array): NlMessage[] {
  const out: NlMessage[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  while (o + 16 <= b.length) {
    const len = v.getUint32(o, true);
    if (len < 16 || o + len > b.length) break;
    const type = v.getUint16(o + 4, true);
    const msg: NlMessage = { type, flags: v.getUint16(o + 6, true), seq: v.getUint32(o + 8, true) };
    if (type === 2) msg.error = -v.getInt32(o + 16, true);
    else if (type >= 16 && len >= 20) {
      msg.cmd = b[o + 16];
      msg.attrs = parseAttrs(b.subarray(o + 20, o + len));
    }
    out.push(msg);
    o += align4(len);
  }
  return out;
}

export function familyIdFrom(msgs: NlMessage[]): number | undefined {
  for (const m of msgs) {
    const id = m.attrs?.get(CTRL_ATTR_FAMILY_ID);
    if (id) return id[0] | (id[1] << 8);
  }
  return undefined;
}
