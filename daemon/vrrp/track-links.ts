// Tracked interfaces (keepalived's vrrp_if.c / vrrp_track.c): rtnetlink link
// events, no polling, except where linkbeat polling is asked for
// (linkbeat_use_polling globally or for an instance's own interface, or the
// linkbeat_interfaces list), where the carrier is read every
// LINKBEAT_POLL_MS as keepalived polls MII/ethtool. interface_up_down_delays
// holds a change back: an interface that returns to its state before the
// delay ends moves nothing.
import type { Config } from '../config/model';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import type { NetIO } from '../net/io';
import type { Tracker } from './track';

/** how often carriers are read with linkbeat polling (keepalived polls MII every second) */
export const LINKBEAT_POLL_MS = 1000;

interface Tracked {
  name: string;
  cfg: { interface?: string; linkbeat_use_polling?: boolean };
  trackers: Tracker[];
  applyTrackers(): void;
}

export interface LinkWatchDeps {
  net: NetIO;
  clock: Clock;
  log: Log;
  /** an interface's carrier read directly (linkbeat polling) */
  carrier?: (ifname: string) => boolean;
}

/** Whether an interface is polled for `i` (keepalived's linkbeat rules). */
export function polledFor(config: Config, i: Tracked, ifname: string): boolean {
  return (
    !!(config.linkbeat_use_polling || config.global_defs.linkbeat_use_polling) ||
    config.linkbeat_interfaces.includes(ifname) ||
    (!!i.cfg.linkbeat_use_polling && ifname === i.cfg.interface)
  );
}

/** The delay before a change of `ifname` to `up` counts, ms (0: at once). */
export function changeDelayMs(config: Config, ifname: string, up: boolean): number {
  const d = config.interface_up_down_delays.find((x) => x.ifname === ifname);
  if (!d) return 0;
  return (up ? (d.up ?? 0) : d.down) * 1000;
}

export function watchLinkTrackers(
  deps: LinkWatchDeps,
  config: Config,
  instances: readonly Tracked[],
): { close(): void } | undefined {
  const watched = instances.filter((i) => i.trackers.some((t) => t.kind === 'interface'));
  if (!watched.length) return undefined;
  let stopped = false;
  const timers = new Set<Timer>();
  const pending = new Map<Tracker, Timer>();
  const carrier = deps.carrier;
  const polled = (i: Tracked, ifname: string) => !!carrier && polledFor(config, i, ifname);
  const apply = (i: Tracked, t: Tracker, up: boolean) => {
    t.ok = up;
    deps.log(up ? 'info' : 'warn', `${i.name}: interface ${t.name} ${up ? 'up' : 'down'}`);
    i.applyTrackers();
  };
  const check = (poll: boolean) => {
    if (stopped) return;
    for (const i of watched)
      for (const t of i.trackers) {
        if (t.kind !== 'interface' || polled(i, t.name) !== poll) continue;
        const up = poll ? carrier!(t.name) : deps.net.linkUp(t.name);
        const held = pending.get(t);
        if (up === t.ok) {
          // back where it was before the delay ended: nothing happened
          held?.cancel();
          pending.delete(t);
          continue;
        }
        if (held) continue;
        const ms = changeDelayMs(config, t.name, up);
        if (ms === 0) {
          apply(i, t, up);
          continue;
        }
        const timer = deps.clock.at(deps.clock.now() + ms, () => {
          pending.delete(t);
          timers.delete(timer);
          if (!stopped) apply(i, t, up);
        });
        pending.set(t, timer);
        timers.add(timer);
      }
  };
  const kinds = watched.flatMap((i) =>
    i.trackers.filter((t) => t.kind === 'interface').map((t) => polled(i, t.name)),
  );
  const links = kinds.includes(false) ? deps.net.watchLinks(() => check(false)) : undefined;
  if (links) check(false); // a change between the instance's start and the subscription
  if (kinds.includes(true)) {
    const tick = () => {
      if (stopped) return;
      check(true);
      const t = deps.clock.at(deps.clock.now() + LINKBEAT_POLL_MS, () => {
        timers.delete(t);
        tick();
      });
      timers.add(t);
    };
    tick();
  }
  return {
    close: () => {
      stopped = true;
      for (const t of timers) t.cancel();
      links?.close();
    },
  };
}
