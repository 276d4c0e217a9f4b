// nftables change events (nfnetlink, group NFNLGRP_NFTABLES), decoded just
// enough to say which tables a change touched (pure). Every table-scoped
// message (table, chain, rule, set, element, object) carries the table's name
// as its attribute 1; the generation message that closes a transaction has
// no table.

const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_NEWGEN = 15;
const NLMSG_HDRLEN = 16;
const NFGENMSG_LEN = 4;
const NLA_TYPE_MASK = 0x3fff;

const align4 = (n: number) => (n + 3) & ~3;

/** The table names the nftables messages in `buf` touch. */
export function tablesTouched(buf: Uint8Array): string[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: string[] = [];
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length; ) {
    const len = v.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    const type = v.getUint16(off + 4, true);
    if (type >> 8 === NFNL_SUBSYS_NFTABLES && (type & 0xff) !== NFT_MSG_NEWGEN) {
      for (let a = off + NLMSG_HDRLEN + NFGENMSG_LEN; a + 4 <= off + len; ) {
        const alen = v.getUint16(a, true);
        if (alen < 4) break;
        if ((v.getUint16(a + 2, true) & NLA_TYPE_MASK) === 1) {
          const s = buf.subarray(a + 4, a + alen);
          const nul = s.indexOf(0);
          out.push(Buffer.from(s.subarray(0, nul < 0 ? s.length : nul)).toString());
          break;
        }
        a += align4(alen);
      }
    }
    off += align4(len);
  }
  return out;
}
