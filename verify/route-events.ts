// The upstream router's view of the VIP: its kernel route's next hops over
// time, from `TZ=UTC ip -ts -o monitor route` on the router (each event
// stamped by the router's clock when the kernel changed the route). When a
// director dies, the moment the router stops sending to it is the first event
// whose VIP route no longer lists it. Pure.
import { parseIpTimestamp } from './clock-sync';

export interface RouteEvent {
  /** the router's clock, epoch ms */
  t: number;
  /** the route was deleted (no next hop left) */
  deleted: boolean;
  /** next-hop addresses of the VIP route after this event */
  nexthops: string[];
}

/** The command that streams the router's route events (stops when its stdin closes). */
export const routeMonitorCommand = (seconds: number) =>
  `TZ=UTC timeout ${Math.ceil(seconds)} ip -ts -o monitor route & p=$!; cat >/dev/null; kill $p 2>/dev/null`;

/**
 * One `ip -ts -o monitor route` line about `vip`/32, or undefined. Multipath
 * routes list "nexthop via A ..." per path (joined by "\" in -o mode); a
 * single path reads "VIP via A dev ...".
 */
export function parseRouteEvent(line: string, vip: string): RouteEvent | undefined {
  const ev = parseIpTimestamp(line.trim());
  if (!ev) return undefined;
  const deleted = ev.rest.startsWith('Deleted ');
  const rest = deleted ? ev.rest.slice('Deleted '.length) : ev.rest;
  const dst = rest.split(/\s/)[0];
  if (dst !== vip && dst !== `${vip}/32`) return undefined;
  const nexthops = [...rest.matchAll(/\bvia (?:inet )?([0-9.]+)/g)].map((m) => m[1]);
  return { t: ev.t, deleted, nexthops: deleted ? [] : nexthops };
}

/** The first event at or after `from` whose VIP route matches `wanted`. */
const firstAfter = (
  events: readonly RouteEvent[],
  from: number,
  wanted: (e: RouteEvent) => boolean,
): RouteEvent | undefined =>
  [...events].sort((a, b) => a.t - b.t).find((e) => e.t >= from && wanted(e));

/** The first event at or after `from` whose VIP route does not send to `address`. */
export const firstDropOf = (events: readonly RouteEvent[], address: string, from: number) =>
  firstAfter(events, from, (e) => !e.nexthops.includes(address));

/** The first event at or after `from` whose VIP route sends to `address` again. */
export const firstAddOf = (events: readonly RouteEvent[], address: string, from: number) =>
  firstAfter(events, from, (e) => e.nexthops.includes(address));
