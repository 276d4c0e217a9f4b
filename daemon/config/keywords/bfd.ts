// bfd_instance (keepalived's bfd_parser.c): one BFD session toward a
// neighbour, tracked by VRRP instances with track_bfd. Intervals are
// milliseconds with up to three decimals, as keepalived reads them.
import { isIP } from 'node:net';
import type { Stmt } from '../ast';
import { Field, kw, readInt, readNumber, type Ctx } from '../schema';
import { ip } from './values';

/** keepalived: BFD_INAME_MAX including the terminating NUL */
export const BFD_NAME_MAX = 31;

/** milliseconds, three decimals at most, within [min, max] */
const ms = (min: number, max: number) =>
  kw.custom(1, 1, ([v], stmt, ctx) => {
    if (/\.\d{4,}$/.test(v)) {
      ctx.diag.error(stmt, `${stmt.keyword}: '${v}' has more than three decimals`);
      return undefined;
    }
    return readNumber(v, min, max, stmt.keyword, stmt, ctx);
  });

/** A keyword refused with an error, on a line or as a block. */
class Refused extends Field<undefined> {
  constructor(private readonly why: string) {
    super();
  }
  parse(stmt: Stmt, ctx: Ctx) {
    ctx.diag.error(stmt, this.why);
    return undefined;
  }
  initial() {
    return undefined;
  }
}

const MAX_MS = Math.floor(0xffffffff / 1000);

export const bfdInstance = kw.block(
  {
    neighbor_ip: kw.string(ip).alias('neighbour_ip').optional(),
    source_ip: kw.string(ip).optional(),
    min_rx: ms(1, MAX_MS).default(10),
    min_tx: ms(1, MAX_MS).default(10),
    idle_tx: ms(1000, MAX_MS).default(1000),
    multiplier: kw.int(1, 255).default(5),
    passive: kw.flag(),
    /** 255 for IPv4, 64 for IPv6 when absent (keepalived's defaults) */
    ttl: kw.int(1, 255).alias('hoplimit').optional(),
    /** -1: the received TTL is not checked */
    max_hops: kw.int(-1, 255).default(0),
    /** the weight track_bfd uses when it gives none */
    weight: kw
      .custom(1, 2, ([w, rev], stmt, ctx) => {
        const n = readInt(w, -253, 253, 'weight', stmt, ctx);
        if (n === undefined) return undefined;
        if (rev !== undefined && rev !== 'reverse') {
          ctx.diag.error(stmt, `weight: unexpected '${rev}' (expected: reverse)`);
          return undefined;
        }
        return { value: n, reverse: rev === 'reverse' };
      })
      .default({ value: 0, reverse: false }),
    /** which process hears this session's events (keepalived); keepalive-ts: always VRRP */
    vrrp: kw.flag(),
    checker: kw.flag(),
    authentication: new Refused(
      'bfd_instance: BFD authentication is not supported (keepalived 2.2.7 implements none either: it sends no authentication section and drops packets that carry one)',
    ),
  },
  {
    header: (args, stmt, ctx) => {
      if (args.length !== 1) {
        ctx.diag.error(stmt, 'bfd_instance: expects one name');
        return undefined;
      }
      if (args[0].length > BFD_NAME_MAX) {
        ctx.diag.error(
          stmt,
          `bfd_instance: name '${args[0]}' longer than ${BFD_NAME_MAX} characters`,
        );
        return undefined;
      }
      return { name: args[0] };
    },
    finish: (b, stmt, ctx) => {
      const family = b.neighbor_ip ? isIP(b.neighbor_ip) : 0;
      if (!b.neighbor_ip) ctx.diag.error(stmt, `bfd_instance ${b.name}: no neighbor_ip set`);
      else if (b.source_ip && isIP(b.source_ip) !== family)
        ctx.diag.error(
          stmt,
          `bfd_instance ${b.name}: source_ip ${b.source_ip} and neighbor_ip ${b.neighbor_ip} are not of the same family`,
        );
      b.ttl = b.ttl ?? (family === 6 ? 64 : 255);
      if (b.max_hops > b.ttl) {
        ctx.diag.warn(
          stmt,
          `bfd_instance ${b.name}: max_hops exceeds ttl/hoplimit, set to ${b.ttl}`,
        );
        b.max_hops = b.ttl;
      }
    },
  },
);

/**
 * Does the checker side hear this session's events (BFD_CHECK)? keepalived:
 * with neither `vrrp` nor `checker` both sides do; naming one limits it.
 */
export const heardByCheckers = (b: { vrrp: boolean; checker: boolean }) => b.checker || !b.vrrp;
