// keepalived's static entries (vrrp_parser.c): static_ipaddress,
// static_routes and static_rules at the top level, set when the daemon
// starts and removed when it stops; virtual_routes and virtual_rules of a
// vrrp_instance (declared here, used in vrrp.ts), set while it is MASTER.
// track_group blocks are read and not acted on (a warning says so).
import type { Stmt } from '../ast';
import { kw, type Ctx } from '../schema';
import { vipLine } from './lines';
import { routeLine } from './route-lines';
import { ruleLine } from './rule-lines';

/** a static_ipaddress line: a virtual_ipaddress line with `track_group NAME` allowed */
function staticAddress(words: string[], stmt: Stmt, ctx: Ctx) {
  const i = words.indexOf('track_group');
  if (i > 0) {
    ctx.diag.warn(
      stmt,
      `static_ipaddress: track_group ${words[i + 1] ?? ''} is not supported by keepalive-ts (static addresses are not tracked), ignored`,
    );
    words = [...words.slice(0, i), ...words.slice(i + 2)];
  }
  return vipLine(words, stmt, ctx);
}

export const virtualRoutes = kw.lines((w, s, c) => routeLine(w, s, c, false));
export const virtualRules = kw.lines((w, s, c) => ruleLine(w, s, c, false));

export const staticKeywords = {
  static_ipaddress: kw.lines(staticAddress),
  static_routes: kw.lines((w, s, c) => routeLine(w, s, c, true)),
  static_rules: kw.lines((w, s, c) => ruleLine(w, s, c, true)),
  track_group: kw
    .block(
      { group: kw.lines(([name]) => name) },
      {
        header: (args, stmt, ctx) => {
          if (args.length !== 1) {
            ctx.diag.error(stmt, 'track_group: expects one name');
            return undefined;
          }
          ctx.diag.warn(
            stmt,
            `track_group ${args[0]}: not supported by keepalive-ts (static entries are not tracked), ignored`,
          );
          return { name: args[0] };
        },
      },
    )
    .many(),
};
