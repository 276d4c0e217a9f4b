// Parsers for keepalived's one-line entries with their own small grammar:
// virtual_ipaddress lines, track_script / track_interface lines,
// unicast_peer lines and HTTP status_code ranges.
import { isIP } from 'node:net';
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import { readInt, type Ctx } from '../schema';

const VIP_OPTIONS = new Set(['brd', 'dev', 'scope', 'label', 'peer', 'preferred_lft']);
/** address flags (linux/if_addr.h IFA_F_*) the kernel takes as they are */
const IFA_FLAGS: Record<string, number> = {
  home: 0x10,
  mngtmpaddr: 0x100,
  noprefixroute: 0x200,
  autojoin: 0x400,
};
const VIP_FLAGS = new Set(['no_track', '-nodad', 'nodad', 'use_vmac', ...Object.keys(IFA_FLAGS)]);
const SCOPES = ['site', 'link', 'host', 'nowhere', 'global'];

export interface VirtualAddress {
  address: string;
  prefix: number;
  brd?: string;
  dev?: string;
  scope?: string;
  label?: string;
  /** point-to-point peer (the address's IFA_ADDRESS) */
  peer?: string;
  no_track?: boolean;
  /** a VMAC of its own on its interface (keepalived: the VIP's `use_vmac`) */
  use_vmac?: boolean;
  /** IFA_F_* flags given on the line (home, mngtmpaddr, noprefixroute, autojoin) */
  flags?: number;
  /** IPv6: duplicate address detection; keepalived skips it unless `-nodad` */
  dad?: boolean;
  /** IPv6: preferred lifetime, s; keepalived's default 0 (deprecated) for a /128, else forever (undefined) */
  preferred_lft?: number;
  at: Position;
}

/** `ADDRESS[/PREFIX] [brd IP] [dev IF] [scope S] [label L] [no_track] ...` (virtual_ipaddress). */
export function vipLine(words: string[], stmt: Stmt, ctx: Ctx): VirtualAddress | undefined {
  const [spec, ...rest] = words;
  const [address, mask] = spec.split('/');
  const family = isIP(address);
  if (!family) {
    ctx.diag.error(stmt, `virtual_ipaddress: '${address}' is not an IP address`);
    return undefined;
  }
  const max = family === 4 ? 32 : 128;
  const prefix = mask === undefined ? max : readInt(mask, 0, max, 'virtual_ipaddress', stmt, ctx);
  if (prefix === undefined) return undefined;
  const v: VirtualAddress = { address, prefix, at: { file: stmt.file, line: stmt.line } };
  let lftSet = false;
  for (let i = 0; i < rest.length; i++) {
    const o = rest[i];
    if (VIP_FLAGS.has(o)) {
      if (o === 'no_track') v.no_track = true;
      else if (o === 'use_vmac') v.use_vmac = true;
      else if (o === '-nodad') v.dad = true;
      else if (IFA_FLAGS[o]) v.flags = (v.flags ?? 0) | IFA_FLAGS[o];
      continue;
    }
    if (!VIP_OPTIONS.has(o) || rest[i + 1] === undefined) {
      ctx.diag.error(stmt, `virtual_ipaddress: unknown option '${o}'`);
      return undefined;
    }
    const val = rest[++i];
    if (o === 'brd' && (val === '+' || val === '-')) {
      const brd = broadcast(address, family, prefix, val, stmt, ctx);
      if (brd === null) return undefined;
      if (brd) v.brd = brd;
    } else if (o === 'brd' || o === 'peer') {
      if (!isIP(val)) {
        ctx.diag.error(stmt, `virtual_ipaddress: ${o} '${val}' is not an IP address`);
        return undefined;
      }
      if (o === 'brd') v.brd = val;
      else v.peer = val;
    } else if (o === 'preferred_lft') {
      if (val === 'forever') v.preferred_lft = undefined;
      else {
        const n = readInt(val, 0, 0xffffffff, 'virtual_ipaddress: preferred_lft', stmt, ctx);
        if (n === undefined) return undefined;
        v.preferred_lft = n;
      }
      lftSet = true;
    } else if (o === 'dev') v.dev = val;
    else if (o === 'label') v.label = val;
    else if (o === 'scope') {
      if (!SCOPES.includes(val) && !/^\d+$/.test(val)) {
        ctx.diag.error(
          stmt,
          `virtual_ipaddress: scope '${val}' is not one of ${SCOPES.join(', ')}`,
        );
        return undefined;
      }
      v.scope = val;
    }
  }
  if (family === 6) {
    if (!lftSet && prefix === 128) v.preferred_lft = 0;
    if (v.label) {
      ctx.diag.warn(
        stmt,
        `virtual_ipaddress: an IPv6 address has no label; '${v.label}' ignored (as keepalived)`,
      );
      delete v.label;
    }
  }
  return v;
}

/**
 * `brd +` / `brd -`: the address with its host bits set or cleared
 * (vrrp_ipaddress.c); undefined when the prefix leaves no host bits (keepalived
 * reports it and adds the address without broadcast); null for IPv6, where
 * keepalived skips the address.
 */
function broadcast(
  address: string,
  family: number,
  prefix: number,
  sign: '+' | '-',
  stmt: Stmt,
  ctx: Ctx,
): string | undefined | null {
  if (family !== 4) {
    ctx.diag.error(stmt, `virtual_ipaddress: ${address} is IPv6 and has no broadcast address`);
    return null;
  }
  if (prefix > 30) {
    ctx.diag.warn(
      stmt,
      `virtual_ipaddress: prefix length ${prefix} too long for a broadcast address; brd ignored`,
    );
    return undefined;
  }
  const n = address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const b = n - (n % size) + (sign === '+' ? size - 1 : 0);
  return [24, 16, 8, 0].map((s) => Math.floor(b / 2 ** s) % 256).join('.');
}

/**
 * `NAME [weight N [reverse|noreverse]]` lines of track_script / track_interface
 * (keepalived's alloc_track_script / alloc_track_if). `noreverse` overrides a
 * script's own `weight N reverse`; keepalived knows it only for scripts and
 * reports it on an interface, keeping the weight unreversed.
 */
export const tracked =
  (kind: 'script' | 'interface' | 'file' | 'process' | 'bfd') =>
  (words: string[], stmt: Stmt, ctx: Ctx) => {
    const [name, ...rest] = words;
    const out: { name: string; weight?: number; reverse?: boolean; at: Position } = {
      name,
      at: { file: stmt.file, line: stmt.line },
    };
    if (rest.length === 0) return out;
    if (rest[0] !== 'weight' || rest[1] === undefined || rest.length > 3) {
      ctx.diag.error(
        stmt,
        `'${name}': unexpected '${rest.join(' ')}' (expected: weight N [reverse|noreverse])`,
      );
      return undefined;
    }
    const w = readInt(rest[1], -254, 254, 'weight', stmt, ctx);
    if (w === undefined) return undefined;
    out.weight = w;
    const opt = rest[2];
    if (opt === 'reverse') out.reverse = true;
    else if (opt === 'noreverse' && kind !== 'interface') out.reverse = false;
    else if (opt === 'noreverse') {
      ctx.diag.warn(
        stmt,
        `'${name}': noreverse is for track_script; keepalived 2.2.7 reports it on track_interface and keeps the weight unreversed`,
      );
      out.reverse = false;
    } else if (opt !== undefined) {
      ctx.diag.error(stmt, `'${name}': unexpected '${opt}' (expected: reverse or noreverse)`);
      return undefined;
    }
    return out;
  };

export function unicastPeer(words: string[], stmt: Stmt, ctx: Ctx) {
  const [address, ...rest] = words;
  if (!isIP(address)) {
    ctx.diag.error(stmt, `unicast_peer: '${address}' is not an IP address`);
    return undefined;
  }
  const out: { address: string; min_ttl?: number; max_ttl?: number; at: Position } = {
    address,
    at: { file: stmt.file, line: stmt.line },
  };
  for (let i = 0; i < rest.length; i += 2) {
    const k = rest[i];
    if ((k !== 'min_ttl' && k !== 'max_ttl') || rest[i + 1] === undefined) {
      ctx.diag.error(stmt, `unicast_peer: unexpected '${k}'`);
      return undefined;
    }
    const n = readInt(rest[i + 1], 0, 255, k, stmt, ctx);
    if (n === undefined) return undefined;
    out[k] = n;
  }
  return out;
}

export interface StatusRange {
  from: number;
  to: number;
}

/** `status_code 200 300-399 ...`: single codes or inclusive ranges. */
export function statusCodeRanges(args: string[], stmt: Stmt, ctx: Ctx): StatusRange[] | undefined {
  const out: StatusRange[] = [];
  for (const a of args) {
    const [x, y] = a.split('-');
    const from = readInt(x, 100, 999, 'status_code', stmt, ctx);
    const to = y === undefined ? from : readInt(y, 100, 999, 'status_code', stmt, ctx);
    if (from === undefined || to === undefined) return undefined;
    if (to < from) {
      ctx.diag.error(stmt, `status_code: range '${a}' is reversed`);
      return undefined;
    }
    out.push({ from, to });
  }
  return out;
}
