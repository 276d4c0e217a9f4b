// One line of static_routes / virtual_routes, read as keepalived 2.2.7 reads
// it (vrrp_iproute.c alloc_route / parse_nexthops): `ip route add` words.
// What rtnetlink carries is read into a Route; what keepalive-ts does not
// install is a warning naming the option; a line keepalived drops is an error.
import type { Position } from '../diagnostics';
import type { Stmt } from '../ast';
import type { Ctx } from '../schema';
import { RTAX, type Nexthop, type Route, type RouteMetric } from '../../core/route';
import { cNumber, realmsOf, RTN_TYPES } from './rt-names';
import { Words, parsePrefix } from './words';

export const RTPROT_KEEPALIVED = 18;
const RTNH_F_ONLINK = 4;
const RTAX_FEATURE_ECN = 1;
const PREFS: Record<string, number> = { low: 3, medium: 0, high: 1 };

export interface RouteEntry extends Route {
  at: Position;
  /** keepalived: a deleted route does not take the instance out of MASTER */
  no_track: boolean;
  /** static routes: the track_group named (not acted on) */
  track_group?: string;
}

/** metrics keepalived reads as `NAME [lock] N` (u32) */
const LOCKABLE: RouteMetric[] = ['mtu', 'advmss', 'reordering', 'cwnd', 'ssthresh'];
/** RTT-like metrics as `NAME [lock] TIME` and their kernel unit per millisecond */
const TIMES: Partial<Record<RouteMetric, number>> = { rtt: 8, rttvar: 4, rto_min: 1 };

/** keepalived's get_time_rtt: a raw kernel value, or N[.n]s / Nms scaled, held in [200 ms, 120 s] */
function rttOf(text: string, unit: number): number | undefined {
  const m = /^(\d+(?:\.\d{1,3})?)(ms|msec|msecs|s|sec|secs)?$/i.exec(text);
  if (!m || (m[1].includes('.') && !/^s/i.test(m[2] ?? ''))) return undefined;
  const ms = m[2] ? (/^m/i.test(m[2]) ? Number(m[1]) : Math.round(Number(m[1]) * 1000)) : null;
  const v = ms === null ? Number(m[1]) : ms * unit;
  if (v > 120000 * unit) return undefined;
  return Math.max(v, 200 * unit);
}

/**
 * `[type] [to] DEST [src IP] [via|gw [inet|inet6] IP] [dev IF] [table T] ...
 * [nexthop via IP dev IF weight N onlink]...`
 */
export function routeLine(words: string[], stmt: Stmt, ctx: Ctx, allowTrackGroup: boolean) {
  const w = new Words(words, stmt, ctx, 'route');
  const r: Partial<Route> & { metrics: Partial<Record<RouteMetric, number>> } = {
    table: 254,
    metrics: {},
  };
  let protocol: number | undefined;
  let noTrack = false;
  let trackGroup: string | undefined;
  let unsupported = false;
  const skip = (what: string) => {
    ctx.diag.warn(stmt, `route: ${what} is not supported by keepalive-ts; route not installed`);
    unsupported = true;
  };
  while (!w.done) {
    const word = w.next()!;
    switch (word) {
      case 'inet':
      case 'inet6':
        w.familyWord(word);
        break;
      case 'src': {
        const a = w.address('src');
        if (a === undefined) return undefined;
        r.prefsrc = a;
        break;
      }
      case 'via':
      case 'gw': {
        if (word === 'gw') ctx.diag.warn(stmt, `route: "gw" is deprecated, use "via"`);
        const a = w.viaAddress();
        if (a === undefined) return undefined;
        r.via = a;
        break;
      }
      case 'from': {
        const p = w.prefix('from');
        if (!p) return undefined;
        if (w.fam !== 6) return w.fail(`from (source routing) is only supported with IPv6`);
        r.src = p;
        break;
      }
      case 'tos':
      case 'dsfield': {
        const v = w.lookup('dsfield', 'TOS value');
        if (v === undefined) return undefined;
        r.tos = v;
        break;
      }
      case 'table': {
        const v = w.lookup('tables', 'routing table');
        if (v === undefined) return undefined;
        r.table = v;
        break;
      }
      case 'protocol': {
        const v = w.lookup('protos', 'protocol');
        if (v === undefined) return undefined;
        protocol = v;
        break;
      }
      case 'scope': {
        const v = w.lookup('scopes', 'scope');
        if (v === undefined) return undefined;
        r.scope = v;
        break;
      }
      case 'metric':
      case 'priority':
      case 'preference': {
        const v = w.uint(word, 0xffffffff);
        if (v === undefined) return undefined;
        r.metric = v;
        break;
      }
      case 'dev':
      case 'oif': {
        const d = w.value(word);
        if (d === undefined) return undefined;
        r.dev = d;
        break;
      }
      case 'onlink':
        r.flags = (r.flags ?? 0) | RTNH_F_ONLINK;
        break;
      case 'expires': {
        const v = w.uint('expires', 0xffffffff);
        if (v === undefined || !w.family(6, 'expires is only valid for IPv6')) return undefined;
        r.expires = v;
        break;
      }
      case 'realms': {
        const t = w.value('realms');
        const v = t === undefined ? undefined : realmsOf(t);
        if (v === undefined) return w.fail(`invalid realms ${t}`);
        if (!w.family(4, 'realms are only valid for IPv4')) return undefined;
        r.realms = v;
        break;
      }
      case 'window':
      case 'initcwnd':
      case 'initrwnd':
      case 'hoplimit': {
        const v = w.uint(word, word === 'hoplimit' ? 255 : 0xffffffff);
        if (v === undefined) return undefined;
        r.metrics[word] = v;
        break;
      }
      case 'quickack':
      case 'fastopen_no_cookie': {
        const v = w.uint(word, 1);
        if (v === undefined) return undefined;
        r.metrics[word] = v;
        break;
      }
      case 'features': {
        const f = w.value('features');
        if (f === 'ecn') r.metrics.features = (r.metrics.features ?? 0) | RTAX_FEATURE_ECN;
        else ctx.diag.warn(stmt, `route: feature ${f} not supported, ignored (as keepalived)`);
        break;
      }
      case 'congctl':
        if (w.peek() === 'lock') {
          w.next();
          r.lock = (r.lock ?? 0) | (1 << RTAX.cc_algo);
        }
        r.congctl = w.value('congctl');
        if (r.congctl === undefined) return undefined;
        break;
      case 'pref': {
        const t = w.value('pref');
        if (t === undefined || !w.family(6, 'pref is only valid for IPv6')) return undefined;
        const v = PREFS[t] ?? cNumber(t);
        if (v === undefined || v > 255) return w.fail(`invalid pref value ${t}`);
        r.pref = v;
        break;
      }
      case 'add':
      case 'prepend':
      case 'append':
        r.mode = word;
        break;
      case 'or': {
        ctx.diag.warn(stmt, `route: "or" is deprecated, use "nexthop"`);
        const a = w.address('or');
        if (a === undefined) return undefined;
        if (r.nexthops) {
          ctx.diag.warn(stmt, `route: "or" already given, '${a}' ignored (as keepalived)`);
          break;
        }
        r.nexthops = [{ ...(r.via ? { via: r.via } : {}) }, { via: a }];
        delete r.via;
        break;
      }
      case 'nexthop': {
        if (r.nexthops) return w.fail(`cannot specify nexthops with "or" route`);
        const nhs = nexthops(w, skip);
        if (!nhs) return undefined;
        r.nexthops = nhs;
        break;
      }
      case 'no_track':
        noTrack = true;
        break;
      case 'encap':
      case 'vrf':
        skip(word);
        return undefined;
      case 'as':
        if (w.peek() === 'to') w.next();
        w.next();
        ctx.diag.warn(stmt, `route: "as to" is for MPLS only, ignored (as keepalived)`);
        break;
      case 'ttl-propagate':
        w.next();
        ctx.diag.warn(
          stmt,
          `route: ttl-propagate (MPLS) is not supported by keepalive-ts, ignored`,
        );
        break;
      default: {
        if (word === 'track_group' && allowTrackGroup) {
          trackGroup = w.value('track_group');
          ctx.diag.warn(
            stmt,
            `route: track_group ${trackGroup} is not supported by keepalive-ts (static routes are not tracked), ignored`,
          );
          break;
        }
        if (!readMetric(word, w, r)) {
          // `to DEST` or `TYPE DEST` (keepalived takes no type after `to`, nor `to` after a type)
          let t: string | undefined = word === 'to' ? w.next() : word;
          const type = word === 'to' ? undefined : (RTN_TYPES[word] ?? cNumber(word));
          if (type !== undefined && type <= 255) {
            r.type = type;
            t = w.next();
          }
          const p = t === undefined ? undefined : parsePrefix(t, w, 'route');
          if (!p) return w.fail(`unknown route keyword ${t}`);
          r.dst = p;
        } else if (w.failed) return undefined;
      }
    }
    if (w.failed || unsupported) return undefined;
  }
  if (!r.dst) return w.fail('route must have a destination');
  if (!noTrack) {
    if (protocol !== undefined && protocol !== RTPROT_KEEPALIVED)
      ctx.diag.warn(
        stmt,
        `route: cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol (as keepalived; add no_track to keep it)`,
      );
    protocol = RTPROT_KEEPALIVED;
    if (!r.dev) {
      ctx.diag.warn(
        stmt,
        `route: cannot track route ${words.join(' ')} with no interface specified, not tracking (as keepalived)`,
      );
      noTrack = true;
    }
  }
  if (!Object.keys(r.metrics).length) delete (r as Partial<Route>).metrics;
  return {
    ...(r as Route),
    family: w.fam ?? 4,
    protocol: protocol ?? RTPROT_KEEPALIVED,
    at: { file: stmt.file, line: stmt.line },
    no_track: noTrack,
    ...(trackGroup ? { track_group: trackGroup } : {}),
  } satisfies RouteEntry;
}

/** `mtu [lock] N` and the other lockable metrics; false when `word` is none of them */
function readMetric(word: string, w: Words, r: Partial<Route>): boolean {
  const name = word as RouteMetric;
  const unit = TIMES[name];
  if (!LOCKABLE.includes(name) && unit === undefined) return false;
  if (w.peek() === 'lock') {
    w.next();
    r.lock = (r.lock ?? 0) | (1 << RTAX[name]);
  }
  const t = w.value(word);
  if (t === undefined) return true;
  const v = unit !== undefined ? rttOf(t, unit) : cNumber(t);
  if (v === undefined || v > 0xffffffff) {
    w.fail(`invalid ${word} ${t}`);
    return true;
  }
  r.metrics![name] = v;
  return true;
}

/** `nexthop via IP [dev IF] [weight N] [onlink] [realms R]` repeated, ending the line */
function nexthops(w: Words, skip: (what: string) => void): Nexthop[] | undefined {
  const out: Nexthop[] = [];
  for (;;) {
    const nh: Nexthop = {};
    loop: while (!w.done) {
      switch (w.peek()) {
        case 'via': {
          w.next();
          const a = w.viaAddress();
          if (a === undefined) return undefined;
          nh.via = a;
          break;
        }
        case 'dev':
          w.next();
          nh.dev = w.value('dev');
          break;
        case 'weight': {
          w.next();
          const v = w.uint('weight', 256);
          if (v === 0) return w.fail('invalid weight 0 specified for route');
          if (v === undefined) return undefined;
          nh.weight = v;
          break;
        }
        case 'onlink':
          w.next();
          nh.flags = (nh.flags ?? 0) | RTNH_F_ONLINK;
          break;
        case 'realms': {
          w.next();
          const t = w.value('realms');
          const v = t === undefined ? undefined : realmsOf(t);
          if (v === undefined) return w.fail(`invalid realms ${t} for route`);
          if (!w.family(4, 'realms are only supported for IPv4')) return undefined;
          nh.realms = v;
          break;
        }
        case 'encap':
          skip('encap');
          return undefined;
        case 'as':
          return w.fail(`'as [to]' (nat) not supported`);
        default:
          break loop;
      }
      if (w.failed) return undefined;
    }
    out.push(nh);
    if (w.done) return out;
    if (w.peek() !== 'nexthop') return w.fail(`trailing nonsense after nexthops - ${w.peek()}`);
    w.next();
  }
}
