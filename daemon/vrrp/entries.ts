// Addresses, routes and rules set as one group, in keepalived's order: on
// add addresses, then routes, then rules; on removal the reverse (a route
// may need its source address, a rule its table's routes). Used for a
// MASTER's virtual entries and for the daemon's static ones.
import type { Config, VrrpInstance } from '../config/model';
import type { NetIO, Route, Rule, Vip } from '../net/io';

export interface Entries {
  addresses: Vip[];
  routes: Route[];
  rules: Rule[];
}

/** A virtual_ipaddress (or static_ipaddress) line as NetIO takes it; `ifname` unless `dev`. */
export const vipOf =
  (dev: string | ((v: VrrpInstance['virtual_ipaddress'][number]) => string)) =>
  (v: VrrpInstance['virtual_ipaddress'][number]): Vip => ({
    address: v.address,
    prefix: v.prefix,
    dev: typeof dev === 'string' ? (v.dev ?? dev) : dev(v),
    ...(v.brd ? { brd: v.brd } : {}),
    ...(v.label ? { label: v.label } : {}),
    ...(v.scope ? { scope: v.scope } : {}),
    ...(v.peer ? { peer: v.peer } : {}),
    ...(v.flags ? { flags: v.flags } : {}),
    ...(v.address.includes(':')
      ? {
          nodad: !v.dad,
          ...(v.preferred_lft !== undefined ? { preferredLft: v.preferred_lft } : {}),
        }
      : {}),
  });

/** Set or remove every entry; a failure is reported and does not stop the others. */
export function setEntries(
  net: NetIO,
  add: boolean,
  e: Entries,
  report: (msg: string) => void,
): void {
  const each = <T>(list: T[], fn: (x: T) => void) => {
    for (const x of list) {
      try {
        fn(x);
      } catch (err) {
        report((err as Error).message);
      }
    }
  };
  const addresses = () => each(e.addresses, (v) => net.setVip(add, v));
  const routes = () => each(e.routes, (r) => net.setRoute(add, r));
  const rules = () => each(e.rules, (r) => net.setRule(add, r));
  if (add) {
    addresses();
    routes();
    rules();
  } else {
    rules();
    routes();
    addresses();
  }
}

/** keepalived's default_interface (static addresses without `dev`) */
const DEFAULT_INTERFACE = 'eth0';

/** The top-level static_ipaddress, static_routes and static_rules of a config. */
export function staticEntries(config: Config): Entries {
  const g = config.global_defs;
  return {
    addresses: config.static_ipaddress.map(vipOf(g.default_interface ?? DEFAULT_INTERFACE)),
    routes: config.static_routes,
    rules: config.static_rules,
  };
}

/** Entries of `a` not in `b` (positions in the file do not count). */
export function entriesMinus(a: Entries, b: Entries): Entries {
  const key = (x: object) => JSON.stringify(x, (k, v) => (k === 'at' ? undefined : v));
  const minus = <T extends object>(x: T[], y: T[]) => {
    const ys = new Set(y.map(key));
    return x.filter((v) => !ys.has(key(v)));
  };
  return {
    addresses: minus(a.addresses, b.addresses),
    routes: minus(a.routes, b.routes),
    rules: minus(a.rules, b.rules),
  };
}
