// Spacing of gratuitous ARPs and unsolicited NAs (keepalived's
// vrrp_garp_interval / vrrp_gna_interval and garp_group): on one interface,
// or across the interfaces of a garp_group, messages of one kind leave at
// least the interval apart, whichever instances send them. Pure but for the
// clock it is given.
import type { Config } from '../config/model';
import type { Clock } from '../core/clock';

export interface PaceRule {
  /** the interface, or the garp_group its limits are shared with */
  domain: string;
  arpMs: number;
  naMs: number;
}

/** The limits of an interface: its garp_group's, else the global intervals. */
export function paceRule(config: Config, ifname: string): PaceRule {
  const g = config.global_defs;
  const groups = config.garp_group ?? [];
  const i = groups.findIndex((grp) => grp.interface === ifname || grp.interfaces.includes(ifname));
  if (i < 0)
    return {
      domain: ifname,
      arpMs: g.vrrp_garp_interval * 1000,
      naMs: (g.vrrp_gna_interval ?? 0) * 1000,
    };
  const grp = groups[i];
  return {
    domain: `garp_group#${i}`,
    arpMs: (grp.garp_interval ?? g.vrrp_garp_interval) * 1000,
    naMs: (grp.gna_interval ?? g.vrrp_gna_interval ?? 0) * 1000,
  };
}

export class GarpPacer {
  /** per domain and kind: when the next message may leave */
  private readonly next = new Map<string, number>();
  constructor(private readonly clock: Clock) {}

  /** Send now, or as soon as the domain's interval allows. */
  send(rule: PaceRule, family: 4 | 6, fn: () => void) {
    const interval = family === 6 ? rule.naMs : rule.arpMs;
    if (interval <= 0) return fn();
    const key = `${rule.domain}/${family}`;
    const now = this.clock.now();
    const at = Math.max(now, this.next.get(key) ?? 0);
    this.next.set(key, at + interval);
    if (at <= now) fn();
    else this.clock.at(at, fn);
  }
}
