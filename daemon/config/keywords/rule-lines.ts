// One line of static_rules / virtual_rules, read as keepalived 2.2.7 reads
// it (vrrp_iprule.c alloc_rule): `ip rule add` words. A rule without a
// preference gets keepalived's: 16384 counting down per family, in the
// order the rules appear in the configuration.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';
import { FR_ACT, type Rule } from '../../core/route';
import { cNumber, realmsOf, RTN_TYPES } from './rt-names';
import { Words } from './words';
import { RTPROT_KEEPALIVED } from './route-lines';

export interface RuleEntry extends Rule {
  at: Position;
  no_track: boolean;
  track_group?: string;
}

/** the next automatic preference per family, per parse (keyed by its Diagnostics) */
const nextPriority = new WeakMap<object, { 4: number; 6: number }>();
const RULE_START_PRIORITY = 16384;

const IP_PROTOS: Record<string, number> = {
  ip: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  ospf: 89,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
};

/** `N` or `N-M` (u16 ports, u32 uids) */
function rangeOf(t: string, max: number, single = false): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m || (m[2] === undefined && !single)) return undefined;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return a > max || b > max ? undefined : [a, b];
}

/**
 * `[not] [from P] [to P] [table T|goto N|nop|blackhole|unreachable|prohibit]
 * [preference N] [iif IF] [oif IF] [fwmark M[/MASK]] [tos T] ...`
 */
export function ruleLine(
  words: string[],
  stmt: Stmt,
  ctx: Ctx,
  allowTrackGroup: boolean,
): RuleEntry | undefined {
  const w = new Words(words, stmt, ctx, 'rule');
  const r: Partial<Rule> = {};
  let action = 0;
  let tableOption = false;
  let noTrack = false;
  let trackGroup: string | undefined;
  const ignored = (msg: string) =>
    ctx.diag.warn(stmt, `rule: ${msg}; the rule is set without it (as keepalived)`);
  const setAction = (a: number) => {
    if (action)
      return w.fail(
        'cannot specify more than one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev for rule',
      );
    action = a;
    return true;
  };
  while (!w.done && !w.failed) {
    const word = w.next()!;
    switch (word) {
      case 'inet':
      case 'inet6':
        w.familyWord(word);
        break;
      case 'from':
      case 'to': {
        const p = w.prefix(word);
        if (p) r[word] = p;
        break;
      }
      case 'table':
      case 'lookup': {
        const v = w.lookup('tables', 'routing table');
        if (v === 0) w.fail('table 0 is not valid');
        if (v === undefined || w.failed || !setAction(FR_ACT.to_tbl)) break;
        r.table = v;
        break;
      }
      case 'not':
        r.invert = true;
        break;
      case 'preference':
      case 'order':
      case 'priority': {
        const v = w.uint(word, 0xffffffff);
        if (v !== undefined) r.priority = v;
        break;
      }
      case 'tos':
      case 'dsfield': {
        const v = w.lookup('dsfield', 'TOS value');
        if (v !== undefined) r.tos = v;
        break;
      }
      case 'fwmark': {
        const t = w.value('fwmark') ?? '';
        const [mark, mask] = t.split('/');
        const m = cNumber(mark);
        const k = mask === undefined ? undefined : cNumber(mask);
        if (
          m === undefined ||
          m > 0xffffffff ||
          (mask !== undefined && (k === undefined || k > 0xffffffff))
        )
          w.fail(`invalid fwmark ${t}`);
        else {
          r.fwmark = m;
          if (k !== undefined) r.fwmask = k;
        }
        break;
      }
      case 'realms': {
        const t = w.value('realms');
        const v = t === undefined ? undefined : realmsOf(t);
        if (v === undefined) w.fail(`invalid realms ${t}`);
        else if (w.family(4, 'realms is only valid for IPv4')) r.realms = v;
        tableOption = true;
        break;
      }
      case 'suppress_prefixlength':
      case 'sup_pl': {
        const v = w.uint(word, 0x7fffffff);
        if (v !== undefined) r.suppressPrefixlen = v;
        tableOption = true;
        break;
      }
      case 'suppress_ifgroup':
      case 'sup_group': {
        const v = w.lookup('group', 'suppress_ifgroup');
        if (v !== undefined) r.suppressIfgroup = v;
        tableOption = true;
        break;
      }
      case 'dev':
      case 'iif':
        r.iif = w.value(word);
        break;
      case 'oif':
        r.oif = w.value(word);
        break;
      case 'tunnel-id': {
        const t = w.value(word);
        if (t === undefined || !/^\d+$/.test(t) || BigInt(t) >= 1n << 64n)
          w.fail(`invalid tunnel-id ${t}`);
        else r.tunId = t;
        break;
      }
      case 'uidrange': {
        const t = w.value(word);
        const v = t === undefined ? undefined : rangeOf(t, 0xffffffff, false);
        if (!v) w.fail(`invalid uidrange ${t}`);
        else r.uidrange = v;
        break;
      }
      case 'l3mdev':
        r.l3mdev = true;
        if (action) w.fail('cannot specify l3mdev with other action');
        action = FR_ACT.to_tbl;
        break;
      // keepalived reports a bad value of these four and keeps the rule without it
      case 'protocol': {
        const t = w.value(word);
        const v = t === undefined ? undefined : /^\d+$/.test(t) ? Number(t) : undefined;
        if (v === undefined || v > 255) ignored(`invalid protocol ${t}`);
        else r.protocol = v;
        break;
      }
      case 'ipproto': {
        const t = w.value(word);
        const v = t === undefined ? undefined : (IP_PROTOS[t.toLowerCase()] ?? cNumber(t));
        if (v === undefined || v > 127) ignored(`invalid ipproto ${t}`);
        else r.ipproto = v;
        break;
      }
      case 'sport':
      case 'dport': {
        const t = w.value(word);
        const v = t === undefined ? undefined : rangeOf(t, 65535, false);
        if (!v)
          ignored(
            `invalid ${word} range ${t}` +
              (t && /^\d+$/.test(t) ? ` (keepalived 2.2.7 takes only N-M: write ${t}-${t})` : ''),
          );
        else r[word] = v;
        break;
      }
      case 'no_track':
        noTrack = true;
        break;
      default: {
        if (word === 'track_group' && allowTrackGroup) {
          trackGroup = w.value(word);
          ctx.diag.warn(
            stmt,
            `rule: track_group ${trackGroup} is not supported by keepalive-ts (static rules are not tracked), ignored`,
          );
          break;
        }
        const a = word === 'type' ? w.value('type') : word;
        if (a === 'goto') {
          const v = w.uint('goto', 0xffffffff);
          if (v === undefined || !setAction(FR_ACT.goto)) break;
          r.goto = v;
        } else if (a === 'nop') setAction(FR_ACT.nop);
        else if (a === 'blackhole' || a === 'unreachable' || a === 'prohibit') setAction(FR_ACT[a]);
        else if (a !== undefined && RTN_TYPES[a] !== undefined) w.fail(`invalid rule action ${a}`);
        else if (a !== undefined) w.fail(`unknown rule option ${a}`);
      }
    }
  }
  if (w.failed) return undefined;
  if (action === FR_ACT.goto) {
    if (r.priority === undefined)
      return w.fail(`invalid rule - goto target ${r.goto} specified without preference`);
    if (r.priority >= r.goto!)
      return w.fail(`invalid rule - preference ${r.priority} >= goto target ${r.goto}`);
  }
  if (!action) return w.fail('no action specified for rule');
  if (action !== FR_ACT.to_tbl && tableOption)
    return w.fail('suppressor/realm specified for non table action');
  if (r.table && r.l3mdev) return w.fail('table cannot be specified for l3mdev rules');
  if (!noTrack) {
    if (r.protocol !== undefined && r.protocol !== RTPROT_KEEPALIVED)
      ctx.diag.warn(
        stmt,
        `rule: cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol (as keepalived; add no_track to keep it)`,
      );
    r.protocol = RTPROT_KEEPALIVED;
  }
  if (trackGroup && !r.iif)
    ctx.diag.warn(stmt, 'rule: a static rule cannot have track_group if dev/iif not specified');
  const family = w.fam ?? 4;
  if (r.priority === undefined) {
    let next = nextPriority.get(ctx.diag);
    if (!next)
      nextPriority.set(ctx.diag, (next = { 4: RULE_START_PRIORITY, 6: RULE_START_PRIORITY }));
    r.priority = next[family]--;
    ctx.diag.warn(
      stmt,
      `rule: no preference specified - setting to ${r.priority}. This is probably not what you want (as keepalived)`,
    );
  }
  return {
    ...(r as Rule),
    family,
    action,
    at: { file: stmt.file, line: stmt.line },
    no_track: noTrack,
    ...(trackGroup ? { track_group: trackGroup } : {}),
  };
}
