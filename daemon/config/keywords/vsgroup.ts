// virtual_server_group NAME { IP [PORT] | IP-END [PORT] | IP/MASK [PORT] | fwmark N [inet|inet6] }
// and its use by `virtual_server group NAME`: keepalived 2.2.7's meaning
// (check_data.c alloc_vsg_entry, ipvswrapper.c ipvs_group_range_cmd). Every
// address of a range becomes an IPVS service with the virtual server's
// settings; IPv4 ranges count over the whole address, IPv6 ranges over the
// last 16-bit group only. Several virtual servers may share one group.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import { Field, readInt, type Ctx } from '../schema';
import { bytesToIpv6, familyOf, ipv6ToBytes } from '../../core/address';
import type { VirtualServer } from './lvs';

export type VsGroupEntry =
  /** the addresses first..last (inclusive), all on one port (0: any, needs persistence) */
  | { kind: 'range'; first: string; last: string; port: number; count: number }
  | { kind: 'fwmark'; fwmark: number; family?: 'inet' | 'inet6' };

export interface VsGroup {
  name: string;
  entries: VsGroupEntry[];
  at: Position;
}

/** What one group entry expands to: an address service or a fwmark service. */
export type GroupTarget =
  | { address: string; port: number }
  | { fwmark: number; family?: 'inet' | 'inet6' };

/** keepalive-ts programs at most this many services per range entry (a /16) */
export const MAX_RANGE = 65536;

const v4 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const v4text = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
function v6words(ip: string): number[] {
  const b = new Uint8Array(16);
  ipv6ToBytes(ip, b, 0);
  return Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
}
function v6text(w: number[]): string {
  const b = new Uint8Array(16);
  w.forEach((x, i) => ((b[2 * i] = x >> 8), (b[2 * i + 1] = x & 0xff)));
  return bytesToIpv6(b, 0);
}

/** One line of a virtual_server_group block (undefined: reported and skipped). */
export function vsgEntry(words: string[], stmt: Stmt, ctx: Ctx): VsGroupEntry | undefined {
  const [head, portText, extra] = words;
  const bad = (m: string) => (ctx.diag.error(stmt, `virtual_server_group: ${m}`), undefined);
  if (head === 'fwmark') {
    if (portText === undefined) return bad('fwmark expects a value');
    const fwmark = readInt(portText, 1, 2 ** 32 - 1, 'fwmark', stmt, ctx);
    if (fwmark === undefined) return undefined;
    if (extra !== undefined && extra !== 'inet' && extra !== 'inet6')
      return bad(`fwmark ${fwmark} family ${extra} unknown (inet or inet6)`);
    if (words.length > 3) return bad(`fwmark ${fwmark}: too many values`);
    return { kind: 'fwmark', fwmark, ...(extra ? { family: extra } : {}) };
  }
  if (words.length > 2) return bad(`${head}: expects <IPADDR>[-END|/MASK] [<PORT>]`);
  let port = 0;
  // keepalived (since 2.0.7): a port of 0 means no port
  if (portText !== undefined && !/^0+$/.test(portText)) {
    port = readInt(portText, 1, 65535, 'port', stmt, ctx) ?? -1;
    if (port < 0) return undefined;
  }
  const cut = head.search(/[-/]/);
  const first = cut < 0 ? head : head.slice(0, cut);
  const fam = familyOf(first);
  if (!fam || first.includes('%')) return bad(`invalid address ${head}`);
  const rest = cut < 0 ? '' : head.slice(cut + 1);
  const range = (last: string, count: number): VsGroupEntry | undefined =>
    count > MAX_RANGE
      ? bad(`${head}: ${count} addresses, keepalive-ts programs at most ${MAX_RANGE} per entry`)
      : { kind: 'range', first, last, port, count };
  if (fam === 4) {
    const a = v4(first);
    if (cut < 0) return range(first, 1);
    if (head[cut] === '/') {
      const mask = /^\d+$/.test(rest) ? Number(rest) : 0;
      if (mask < 1 || mask > 32) return bad(`invalid netmask ${head}`);
      const size = 2 ** (32 - mask);
      if (a % size !== 0) return bad(`address mask bits not empty - ${head}`);
      return range(v4text(a + size - 1), size);
    }
    let end: number;
    if (rest.includes('.')) {
      if (familyOf(rest) !== 4) return bad(`invalid range end ${head}`);
      end = v4(rest);
      if (end < a) return bad(`address range end is less than address range start - ${head}`);
    } else {
      if (!/^\d+$/.test(rest) || Number(rest) > 255) return bad(`invalid range end ${head}`);
      const lo = a % 256;
      if (lo >= Number(rest))
        return bad(`address range end is not greater than address range start - ${head}`);
      end = a - lo + Number(rest);
    }
    return range(v4text(end), end - a + 1);
  }
  const w = v6words(first);
  if (cut < 0) return range(v6text(w), 1);
  let endWords: number[];
  if (head[cut] === '/') {
    const mask = /^\d+$/.test(rest) ? Number(rest) : 0;
    if (mask < 1 || mask > 128) return bad(`invalid netmask ${head}`);
    // keepalived counts over the last group only: a mask below /112 is not a range it can walk
    if (mask < 112)
      return bad(`${head}: IPv6 ranges cover the last 16-bit group only (a mask of /112 or more)`);
    const host = 2 ** (128 - mask) - 1;
    if (w[7] & host) return bad(`address mask bits not empty - ${head}`);
    endWords = [...w.slice(0, 7), w[7] | host];
  } else if (rest.includes(':')) {
    if (familyOf(rest) !== 6) return bad(`invalid range end ${head}`);
    endWords = v6words(rest);
    if (endWords.slice(0, 7).some((x, i) => x !== w[i]))
      return bad(`${head}: IPv6 ranges cover the last 16-bit group only`);
    if (endWords[7] < w[7])
      return bad(`address range end is less than address range start - ${head}`);
  } else {
    const end = /^[0-9a-fA-F]{1,4}$/.test(rest) ? parseInt(rest, 16) : -1;
    if (end < 0) return bad(`invalid range end ${head}`);
    if (w[7] >= end)
      return bad(`address range end is not greater than address range start - ${head}`);
    endWords = [...w.slice(0, 7), end];
  }
  return range(v6text(endWords), endWords[7] - w[7] + 1);
}

/** Every service of a group, in keepalived's order: the address ranges, then the fwmarks. */
export function expandGroup(g: Pick<VsGroup, 'entries'>): GroupTarget[] {
  const out: GroupTarget[] = [];
  for (const e of g.entries) {
    if (e.kind !== 'range') continue;
    if (familyOf(e.first) === 4) {
      const a = v4(e.first);
      for (let i = 0; i < e.count; i++) out.push({ address: v4text(a + i), port: e.port });
    } else {
      const w = v6words(e.first);
      for (let i = 0; i < e.count; i++)
        out.push({ address: v6text([...w.slice(0, 7), w[7] + i]), port: e.port });
    }
  }
  for (const e of g.entries)
    if (e.kind === 'fwmark')
      out.push({ fwmark: e.fwmark, ...(e.family ? { family: e.family } : {}) });
  return out;
}

/** `virtual_server_group NAME { ... }` */
export class VsGroupField extends Field<VsGroup> {
  parse(stmt: Stmt, ctx: Ctx): VsGroup | undefined {
    if (stmt.args.length !== 1) {
      ctx.diag.error(stmt, 'virtual_server_group: expects one name');
      return undefined;
    }
    const name = stmt.args[0].text;
    if (!stmt.block) {
      ctx.diag.error(stmt, `virtual_server_group ${name}: expects a block { ... }`);
      return undefined;
    }
    const entries: VsGroupEntry[] = [];
    for (const s of stmt.block) {
      if (s.block) ctx.diag.error(s, `virtual_server_group ${name}: unexpected block`);
      const e = s.block ? undefined : vsgEntry([s.keyword, ...s.args.map((a) => a.text)], s, ctx);
      if (e) entries.push(e);
    }
    const has = (f: 4 | 6) =>
      entries.some((e) =>
        e.kind === 'range' ? familyOf(e.first) === f : e.family === (f === 4 ? 'inet' : 'inet6'),
      );
    if (entries.length === 0) {
      ctx.diag.warn(
        stmt,
        `virtual_server_group ${name}: has no entries - removing (as keepalived)`,
      );
      return undefined;
    }
    if (has(4) && has(6) && entries.some((e) => e.kind === 'fwmark' && !e.family)) {
      ctx.diag.warn(
        stmt,
        `virtual_server_group ${name}: cannot have IPv4, IPv6 and fwmark without family - removing (as keepalived)`,
      );
      return undefined;
    }
    return { name, entries, at: { file: stmt.file, line: stmt.line } };
  }
  initial(): VsGroup {
    return { name: '', entries: [], at: { file: '', line: 0 } };
  }
}

/**
 * Join `virtual_server group NAME` to its group, after the whole file is read
 * (the two may come in any order). Returns the virtual servers that remain.
 */
export function linkGroups(
  vss: VirtualServer[],
  groups: VsGroup[],
  diag: { warn(at: Position, m: string): void },
): VirtualServer[] {
  const seen = new Set<string>();
  for (const g of groups) {
    if (seen.has(g.name))
      diag.warn(g.at, `virtual_server_group ${g.name}: defined twice, the first one is used`);
    seen.add(g.name);
  }
  return vss.filter((vs) => {
    if (vs.key.kind !== 'group') return true;
    const name = vs.key.group;
    const g = groups.find((x) => x.name === name);
    if (!g) {
      diag.warn(
        vs.at,
        `virtual_server group ${name}: no virtual_server_group ${name} - ignoring this virtual server (as keepalived)`,
      );
      return false;
    }
    if (vs.ha_suspend && g.entries.some((e) => e.kind === 'fwmark')) {
      diag.warn(
        vs.at,
        `virtual_server group ${name}: cannot use ha_suspend with fwmarks - clearing ha_suspend`,
      );
      vs.ha_suspend = false;
    }
    if (!vs.persistence_timeout && g.entries.some((e) => e.kind === 'range' && e.port === 0)) {
      diag.warn(
        vs.at,
        `virtual_server group ${name}: zero port only valid for persistent services - setting persistence_timeout 360`,
      );
      vs.persistence_timeout = 360;
    }
    return true;
  });
}
