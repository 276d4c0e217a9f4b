// Announcing the virtual addresses to the link (keepalived's vrrp_arp.c and
// vrrp_ndisc.c): gratuitous ARP for IPv4, unsolicited neighbour
// advertisements for IPv6, with keepalived's repeat/delay/refresh timing.
import type { Config, VrrpInstance, GlobalDefs } from '../config/model';
import type { Clock, Timer } from '../core/clock';
import type { NetIO, Vip } from '../net/io';
import { paceRule, type GarpPacer } from './garp-pacer';

export type AnnounceReason = 'master' | 'lower-priority';

/**
 * The global GARP defaults: keepalived's (5 now, 5 more after 5 s, no
 * refresh), or with vrrp_min_garp one message and no repeat, for whatever the
 * config does not set itself.
 */
export function globalGarp(g: GlobalDefs) {
  const min = g.vrrp_min_garp;
  return {
    masterRepeat: g.vrrp_garp_master_repeat ?? (min ? 1 : 5),
    masterDelay: g.vrrp_garp_master_delay ?? (min ? 0 : 5),
    refresh: g.vrrp_garp_master_refresh ?? 0,
    refreshRepeat: g.vrrp_garp_master_refresh_repeat ?? 1,
  };
}

/** The repeat/delay of a burst: the instance's setting, else the global one (keepalived). */
export function garpTiming(cfg: VrrpInstance, g: GlobalDefs, reason: AnnounceReason) {
  const d = globalGarp(g);
  const masterRepeat = cfg.garp_master_repeat ?? d.masterRepeat;
  const masterDelay = cfg.garp_master_delay ?? d.masterDelay;
  return reason === 'master'
    ? { repeat: masterRepeat, delay: masterDelay }
    : {
        repeat: cfg.garp_lower_prio_repeat ?? g.vrrp_garp_lower_prio_repeat ?? masterRepeat,
        delay: cfg.garp_lower_prio_delay ?? g.vrrp_garp_lower_prio_delay ?? masterDelay,
      };
}

export class Announcer {
  private timers: Timer[] = [];
  private readonly g: GlobalDefs;

  constructor(
    private readonly cfg: VrrpInstance,
    private readonly config: Config,
    private readonly vips: readonly Vip[],
    private readonly net: NetIO,
    private readonly clock: Clock,
    /** announcements stop as soon as the instance is no longer master */
    private readonly isMaster: () => boolean,
    private readonly pacer: GarpPacer,
  ) {
    this.g = config.global_defs;
  }

  private burst(n: number, vips = this.vips) {
    if (!this.isMaster()) return;
    for (let i = 0; i < n; i++)
      for (const v of vips) {
        const six = v.address.includes(':');
        this.pacer.send(paceRule(this.config, v.dev), six ? 6 : 4, () => {
          if (!this.isMaster()) return; // a paced message due after we left master
          if (six) this.net.unsolicitedNa(v.dev, v.address);
          else this.net.garp(v.dev, v.address);
        });
      }
  }

  /** keepalived GARP semantics: `repeat` now, `repeat` again after `delay` s, then every `refresh` s. */
  announce(reason: AnnounceReason) {
    const { repeat, delay } = garpTiming(this.cfg, this.g, reason);
    this.burst(repeat);
    const now = this.clock.now();
    if (delay > 0) this.timers.push(this.clock.at(now + delay * 1000, () => this.burst(repeat)));
    const d = globalGarp(this.g);
    const refresh = this.cfg.garp_master_refresh ?? d.refresh;
    if (reason === 'master' && refresh > 0) {
      const again = () => {
        if (!this.isMaster()) return;
        this.burst(this.cfg.garp_master_refresh_repeat ?? d.refreshRepeat);
        this.timers.push(this.clock.at(this.clock.now() + refresh * 1000, again));
      };
      this.timers.push(this.clock.at(now + refresh * 1000, again));
    }
    // garp_extra_if: keep switches' caches of the other interfaces' addresses warm
    const extra = this.cfg.garp_extra_if ?? this.g.vrrp_garp_extra_if;
    const others = this.vips.filter((v) => v.dev !== this.cfg.interface);
    if (reason === 'master' && extra?.all && others.length) {
      const again = () => {
        if (!this.isMaster()) return;
        this.burst(1, others);
        this.timers.push(this.clock.at(this.clock.now() + extra.seconds * 1000, again));
      };
      this.timers.push(this.clock.at(now + extra.seconds * 1000, again));
    }
  }

  cancel() {
    for (const t of this.timers) t.cancel();
    this.timers = [];
  }
}
