// bgp_announce (keepalive-ts only; keepalived has no such keyword): the
// active-active director announces its VIP by enabling a BIRD protocol and
// withdraws it by disabling it (daemon/bgp). The block is ours, so it is read
// strictly: an unknown sub-keyword or a surplus value is an error, not the
// warning keepalived's own blocks get.
import { isAbsolute } from 'node:path';
import type { Stmt } from '../ast';
import type { Diagnostics, Position } from '../diagnostics';
import { Field, kw, type Ctx } from '../schema';
import { BIRD_NAME, BIRD_NAME_RULE, WITHDRAW_POLICIES } from '../../core/bgp-names';
import { timer } from './values';

const absolute = (v: string) => (isAbsolute(v) ? undefined : `'${v}' is not an absolute path`);
const birdName = (v: string) => (BIRD_NAME.test(v) ? undefined : `'${v}' is not ${BIRD_NAME_RULE}`);

/** A line of a name list (track_script { NAME }): one word, no weight (a failing tracker withdraws). */
const nameLine =
  (list: string) =>
  (words: string[], stmt: Stmt, ctx: Ctx): { name: string; at: Position } | undefined => {
    if (words.length !== 1) {
      ctx.diag.error(
        stmt,
        `bgp_announce: ${list}: one name a line, got '${words.join(' ')}' (a failing tracker withdraws the VIP: there is no weight)`,
      );
      return undefined;
    }
    return { name: words[0], at: { file: stmt.file, line: stmt.line } };
  };

const bgpAnnounceBlock = kw.block({
  /** BIRD's control socket (what birdc talks to) */
  bird_socket: kw.string(absolute).default('/run/bird/bird.ctl'),
  /** the BIRD protocol carrying the VIP route: enabled = announced, disabled = withdrawn */
  protocol: kw.string(birdName).default('vip_announce'),
  withdraw_when: kw.oneOf(...WITHDRAW_POLICIES).default('any-service-down'),
  /** seconds able to serve before (re)announcing; withdrawal is immediate */
  announce_after: timer(0, 3600).default(2),
  /** seconds between reconcile rounds (a round also runs on every change) */
  interval: timer(0.1, 3600).default(1),
  /** the operator's drain, kept across restarts */
  drain_file: kw.string(absolute).default('/var/lib/keepalive-ts/drained'),
  track_script: kw.lines(nameLine('track_script')),
  track_interface: kw.lines(nameLine('track_interface')),
  track_file: kw.lines(nameLine('track_file')),
});

/** Sub-keywords that take one value (the rest open a block). */
const VALUE_KEYWORDS = new Set([
  'bird_socket',
  'protocol',
  'withdraw_when',
  'announce_after',
  'interval',
  'drain_file',
]);

/** the first bgp_announce of each read (one Diagnostics per read) */
const firstBlock = new WeakMap<Diagnostics, Position>();

/** bgp_announce's block, read strictly: what keepalived's reader would only warn about is an error here. */
class StrictBgpAnnounce extends Field<BgpAnnounce> {
  parse(stmt: Stmt, ctx: Ctx): BgpAnnounce | undefined {
    const first = firstBlock.get(ctx.diag);
    if (first) {
      ctx.diag.error(
        stmt,
        `bgp_announce: given twice (first at ${first.file}:${first.line}); one block announces the VIP`,
      );
      return undefined;
    }
    firstBlock.set(ctx.diag, { file: stmt.file, line: stmt.line });
    if (stmt.args.length) {
      ctx.diag.error(
        stmt,
        `bgp_announce: takes no name or value, got '${stmt.args.map((a) => a.text).join(' ')}'`,
      );
      return undefined;
    }
    const block = stmt.block?.filter((s) => {
      if (!(s.keyword in bgpAnnounceBlock.shape)) {
        ctx.diag.error(
          s,
          `bgp_announce: unknown keyword '${s.keyword}' (known: ${Object.keys(bgpAnnounceBlock.shape).join(', ')})`,
        );
        return false;
      }
      if (VALUE_KEYWORDS.has(s.keyword) && s.args.length > 1) {
        ctx.diag.error(
          s,
          `bgp_announce: ${s.keyword} takes one value, got '${s.args.map((a) => a.text).join(' ')}'`,
        );
        return false;
      }
      return true;
    });
    return bgpAnnounceBlock.parse({ ...stmt, ...(block ? { block } : {}) }, ctx);
  }
  initial(): BgpAnnounce {
    return bgpAnnounceBlock.initial();
  }
}

export type BgpAnnounce = NonNullable<ReturnType<typeof bgpAnnounceBlock.parse>>;
export const bgpAnnounce = new StrictBgpAnnounce();

/** What the references of bgp_announce must name (its tracker lists). */
export interface BgpAnnounceRefs {
  vrrp_script: readonly { name: string }[];
  track_file: readonly { name: string }[];
  virtual_server: readonly unknown[];
}

/**
 * References must exist: keepalived ignores an undefined tracker with a
 * warning, but a bgp_announce tracker that silently does nothing would let a
 * director announce what it was told not to.
 */
export function checkBgpAnnounce(b: BgpAnnounce, refs: BgpAnnounceRefs, diag: Diagnostics) {
  const lists = [
    ['track_script', 'vrrp_script', refs.vrrp_script],
    ['track_file', 'track_file', refs.track_file],
  ] as const;
  for (const [list, block, defined] of lists) {
    const names = new Set(defined.map((d) => d.name));
    for (const t of b[list])
      if (!names.has(t.name))
        diag.error(t.at, `bgp_announce: ${list} '${t.name}' is not a defined ${block}`);
  }
  const seen = new Set<string>();
  for (const list of ['track_script', 'track_interface', 'track_file'] as const)
    for (const t of b[list]) {
      const key = `${list} ${t.name}`;
      if (seen.has(key)) diag.warn(t.at, `bgp_announce: ${list} '${t.name}' listed twice`);
      seen.add(key);
    }
  if (refs.virtual_server.length === 0)
    diag.warn(b.at, 'bgp_announce: no virtual_server: the VIP would never be announced');
}
