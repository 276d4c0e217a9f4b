// log_unknown_vrids: adverts for a VRID no instance on the receiving
// interface has. keepalived 2.2.7 (vrrp_scheduler.c) logs every such advert
// ("Unknown VRID(N) received on interface(IF). ignoring..."). Here each
// instance has its own socket, so one advert reaches every instance on the
// link: the engine logs at most one line per interface, VRID and source per
// second, with the count of those not logged since (a flood of them must not
// become a flood of log lines).
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';

const EVERY_MS = 1000;
const MAX_KEYS = 1024;

export class UnknownVrids {
  private readonly seen = new Map<string, { at: number; more: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    /** does an instance on `ifname` have this VRID? */
    private readonly known: (vrid: number, ifname: string) => boolean,
  ) {}

  heard(vrid: number, ifname: string, src: string) {
    if (this.known(vrid, ifname)) return;
    const key = `${ifname}/${vrid}/${src}`;
    const now = this.clock.now();
    const last = this.seen.get(key);
    if (last && now - last.at < EVERY_MS) {
      last.more++;
      return;
    }
    if (!last && this.seen.size >= MAX_KEYS) this.seen.clear();
    const more = last?.more ? ` (${last.more} more since the last line)` : '';
    this.seen.set(key, { at: now, more: 0 });
    this.log(
      'info',
      `Unknown VRID(${vrid}) received on interface(${ifname}) from ${src}. ignoring...${more}`,
    );
  }
}
