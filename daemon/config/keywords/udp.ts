// UDP_CHECK's hex strings (keepalived 2.2.7 lib/parser.c read_hex_str): hex
// digits, spaces between octets allowed (a lone digit before a space is one
// octet); in require_reply an X nibble matches anything.
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';

export interface HexBytes {
  data: number[];
  /** per octet, the bits that are wildcards (X nibbles); absent without X */
  mask?: number[];
}

/** undefined when the string is not valid hex */
export function readHexStr(str: string, wildcard: boolean): HexBytes | undefined {
  const data: number[] = [];
  const mask: number[] = [];
  let usingMask = false;
  const val = (c: string): number | undefined => {
    if (/^[0-9a-fA-F]$/.test(c)) return parseInt(c, 16);
    if (wildcard && (c === 'X' || c === 'x')) return -1;
    return undefined;
  };
  let i = 0;
  while (true) {
    while (str[i] === ' ' || str[i] === '\t') i++;
    if (i >= str.length) break;
    let v = val(str[i++]);
    if (v === undefined) return undefined;
    let m = 0;
    if (v < 0) [v, m, usingMask] = [0, 0x0f, true];
    if (i < str.length && str[i] !== ' ') {
      let w = val(str[i++]);
      if (w === undefined) return undefined;
      let mw = 0;
      if (w < 0) [w, mw, usingMask] = [0, 0x0f, true];
      v = (v << 4) | w;
      m = (m << 4) | mw;
    }
    data.push(v);
    mask.push(m);
  }
  if (!data.length) return undefined;
  return usingMask ? { data, mask } : { data };
}

export function hexPayload(args: string[], stmt: Stmt, ctx: Ctx): HexBytes | undefined {
  const h = readHexStr(args.join(' '), false);
  if (!h) ctx.diag.error(stmt, 'Invalid hex string for UDP_CHECK payload');
  return h;
}

/** require_reply [HEX]: bare, any reply will do */
export function hexReply(args: string[], stmt: Stmt, ctx: Ctx): HexBytes | true | undefined {
  if (!args.length) return true;
  const h = readHexStr(args.join(' '), true);
  if (!h) ctx.diag.error(stmt, 'Invalid hex string for UDP_CHECK reply');
  return h;
}

export function checkReplyLengths(
  c: { min_reply_length: number; max_reply_length: number },
  stmt: Stmt,
  ctx: Ctx,
) {
  if (c.min_reply_length > c.max_reply_length)
    ctx.diag.error(
      stmt,
      `UDP_CHECK min_reply length ${c.min_reply_length} > max_reply_length ${c.max_reply_length} - will always fail`,
    );
}
