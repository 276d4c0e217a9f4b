// Heartbeat paths: the instance's own interface and each heartbeat_path, a
// raw VRRP channel apiece. Adverts go out on every path; a path that falls
// silent while another still delivers is logged, never failed over.
import type { Config, VrrpInstance } from '../config/model';
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import type { Channel, ChannelOptions, NetIO } from '../net/io';
import { VRRP_MCAST, VRRP_MCAST6, VRRP_PROTO, VRRP_TTL } from './codec';
import type { PathStatus } from './status';

export interface Path {
  name: string;
  opts: ChannelOptions;
  channel?: Channel;
  rx: number;
  lastRx: number | null;
  warned: boolean;
}

/**
 * TTL / hop limit of what a path sends: 255 for multicast (RFC), for unicast
 * `unicast_ttl`, else 255 over IPv4 and the kernel's default over IPv6 (keepalived).
 */
export function pathTtl(unicast: boolean, family: 4 | 6, unicastTtl?: number) {
  if (!unicast) return VRRP_TTL;
  return unicastTtl ?? (family === 4 ? VRRP_TTL : undefined);
}

/**
 * The VRRP socket's receive buffer (keepalived): kernel_rx_buf_size, else
 * vrrp_rx_bufs_policy: a size, the MTU or the instance's advert (IP header
 * included) times vrrp_rx_bufs_multiplier; undefined: our default.
 */
export function rxBufs(
  cfg: VrrpInstance,
  config: Config,
  family: 4 | 6,
): { bytes: number } | { mtuTimes: number } | undefined {
  if (cfg.kernel_rx_buf_size !== undefined) return { bytes: cfg.kernel_rx_buf_size };
  const g = config.global_defs;
  const p = g.vrrp_rx_bufs_policy;
  if (p === undefined) return undefined;
  if (typeof p === 'number') return { bytes: p };
  if (p === 'MTU') return { mtuTimes: g.vrrp_rx_bufs_multiplier };
  const width = family === 6 ? 16 : 4;
  const auth = cfg.authentication?.auth_type && family === 4 ? 8 : 0;
  const advert = (family === 6 ? 40 : 20) + 8 + width * cfg.virtual_ipaddress.length + auth;
  return { bytes: advert * g.vrrp_rx_bufs_multiplier };
}

const pathOf = (
  name: string,
  opts: Omit<ChannelOptions, 'protocol' | 'ttl'>,
  ttl: number | undefined,
): Path => ({
  name,
  opts: { ...opts, protocol: VRRP_PROTO, ...(ttl !== undefined ? { ttl } : {}) },
  rx: 0,
  lastRx: null,
  warned: false,
});

export class HeartbeatPaths {
  readonly all: Path[] = [];
  /** every source address we send from: our own adverts looped back are not a peer's */
  readonly ownSources = new Set<string>();

  constructor(
    cfg: VrrpInstance,
    config: Config,
    src: string,
    family: 4 | 6,
    net: NetIO,
    private readonly clock: Clock,
    private readonly log: Log,
    /**
     * ifname: the interface of the instance's own path (its vmac), else
     * `interface`; resolveSrc: the own path's source is looked up again at each
     * open (dynamic_interfaces: the interface may not exist yet, or be new)
     */
    own: { ifname?: string; resolveSrc?: () => string | undefined } = {},
  ) {
    this.resolveSrc = own.resolveSrc;
    const g = config.global_defs;
    const group =
      cfg.mcast_dst_ip ??
      (family === 6 ? g.vrrp_mcast_group6 || VRRP_MCAST6 : g.vrrp_mcast_group4 || VRRP_MCAST);
    const ifname = own.ifname ?? cfg.interface!;
    const ttl = (peers: unknown[]) => pathTtl(peers.length > 0, family, cfg.unicast_ttl);
    const rcvbuf = rxBufs(cfg, config, family);
    this.all.push(
      pathOf(
        ifname,
        {
          ifname,
          group,
          src,
          unicastPeers: cfg.unicast_peer.map((p) => p.address),
          ...(rcvbuf ? { rcvbuf } : {}),
        },
        ttl(cfg.unicast_peer),
      ),
    );
    for (const hp of cfg.heartbeat_path) {
      const hpSrc = hp.unicast_src_ip ?? net.primaryIp(hp.interface!, family);
      if (!hpSrc)
        throw new Error(
          `vrrp_instance ${cfg.name}: heartbeat_path interface ${hp.interface} has no IPv${family} address`,
        );
      const peers = hp.unicast_peer.map((p) => p.address);
      this.all.push(
        pathOf(
          `${hp.interface}${peers.length ? ` -> ${peers.join(',')}` : ''}`,
          {
            ifname: hp.interface!,
            group,
            src: hpSrc,
            unicastPeers: peers,
          },
          ttl(peers),
        ),
      );
    }
    for (const p of this.all) this.ownSources.add(p.opts.src);
  }

  private readonly resolveSrc?: () => string | undefined;

  /** the own path's source address (the instance's primary address) */
  get src(): string {
    return this.all[0].opts.src;
  }

  open(net: NetIO, onPacket: (pkt: Uint8Array, path: Path) => void) {
    if (this.resolveSrc) {
      const s = this.resolveSrc();
      if (!s) throw new Error(`interface ${this.all[0].opts.ifname} has no address yet`);
      this.ownSources.delete(this.src);
      this.all[0].opts = { ...this.all[0].opts, src: s };
      this.ownSources.add(s);
    }
    for (const p of this.all) p.channel = net.openChannel(p.opts, (pkt) => onPacket(pkt, p));
  }

  close() {
    for (const p of this.all) {
      p.channel?.close();
      p.channel = undefined;
    }
  }

  /** Send on every path, one payload per destination (a v3 checksum covers the addresses). */
  send(payloadFor: (src: string, dst: string) => Uint8Array) {
    for (const p of this.all) {
      const dests = p.opts.unicastPeers.length ? p.opts.unicastPeers : [p.opts.group];
      for (const dst of dests) p.channel?.send(payloadFor(p.opts.src, dst), dst);
    }
  }

  /**
   * A peer's advert arrived on `path`. Any other path silent for `silentAfterMs`
   * (or never heard while this one has delivered a few) is logged once.
   */
  heard(instance: string, path: Path, silentAfterMs: number, advertsReceived: number) {
    const now = this.clock.now();
    path.rx++;
    path.lastRx = now;
    if (path.warned) {
      path.warned = false;
      this.log('info', `${instance}: heartbeat path ${path.name} delivers adverts again`);
    }
    for (const o of this.all) {
      if (
        o !== path &&
        !o.warned &&
        (o.lastRx === null ? o.rx === 0 && advertsReceived > 3 : now - o.lastRx > silentAfterMs)
      ) {
        o.warned = true;
        this.log(
          'warn',
          `${instance}: heartbeat path ${o.name} is silent; the peer is still heard on ${path.name}`,
        );
      }
    }
  }

  status(upWithinMs: number): PathStatus[] {
    return this.all.map((p) => {
      const ago = p.lastRx === null ? null : Math.round(this.clock.now() - p.lastRx);
      return { name: p.name, rx: p.rx, lastRxAgoMs: ago, up: ago !== null && ago <= upWithinMs };
    });
  }
}
