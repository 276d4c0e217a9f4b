// Announcing the virtual addresses to the link (keepalived's vrrp_arp.c and
// vrrp_ndisc.c): gratuitous ARP for IPv4, unsolicited neighbour
// advertisements for IPv6, with keepalived's repeat/delay/refresh timing.
import type { VrrpInstance, GlobalDefs } from '../config/model';
import type { Clock, Timer } from '../core/clock';
import type { NetIO, Vip } from '../net/io';

export type AnnounceReason = 'master' | 'lower-priority';

/** The repeat/delay of a burst: the instance's setting, else the global one (keepalived). */
export function garpTiming(cfg: VrrpInstance, g: GlobalDefs, reason: AnnounceReason) {
  const masterRepeat = cfg.garp_master_repeat ?? g.vrrp_garp_master_repeat;
  const masterDelay = cfg.garp_master_delay ?? g.vrrp_garp_master_delay;
  return reason === 'master'
    ? { repeat: masterRepeat, delay: masterDelay }
    : {
        repeat: cfg.garp_lower_prio_repeat ?? g.vrrp_garp_lower_prio_repeat ?? masterRepeat,
        delay: cfg.garp_lower_prio_delay ?? g.vrrp_garp_lower_prio_delay ?? masterDelay,
      };
}

export class Announcer {
  private timers: Timer[] = [];

  constructor(
    private readonly cfg: VrrpInstance,
    private readonly g: GlobalDefs,
    private readonly vips: readonly Vip[],
    private readonly net: NetIO,
    private readonly clock: Clock,
    /** announcements stop as soon as the instance is no longer master */
    private readonly isMaster: () => boolean,
  ) {}

  private burst(n: number) {
    if (!this.isMaster()) return;
    for (let i = 0; i < n; i++)
      for (const v of this.vips)
        if (v.address.includes(':')) this.net.unsolicitedNa(v.dev, v.address);
        else this.net.garp(v.dev, v.address);
  }

  /** keepalived GARP semantics: `repeat` now, `repeat` again after `delay` s, then every `refresh` s. */
  announce(reason: AnnounceReason) {
    const { repeat, delay } = garpTiming(this.cfg, this.g, reason);
    this.burst(repeat);
    const now = this.clock.now();
    if (delay > 0) this.timers.push(this.clock.at(now + delay * 1000, () => this.burst(repeat)));
    const refresh = this.cfg.garp_master_refresh ?? this.g.vrrp_garp_master_refresh;
    if (reason === 'master' && refresh > 0) {
      const again = () => {
        if (!this.isMaster()) return;
        this.burst(this.cfg.garp_master_refresh_repeat ?? this.g.vrrp_garp_master_refresh_repeat);
        this.timers.push(this.clock.at(this.clock.now() + refresh * 1000, again));
      };
      this.timers.push(this.clock.at(now + refresh * 1000, again));
    }
  }

  cancel() {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }
}
