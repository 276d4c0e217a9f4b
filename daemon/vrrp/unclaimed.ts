// Packets no instance claims: too short to name a VRID, or naming a VRID no
// instance on that socket has. Each instance has its own raw socket, so every
// packet on a link reaches every instance listening there; each instance
// keeps what carries its own VRID and hands the rest here. One socket per
// socket kind (interface + multicast group, or interface + unicast source)
// is the one whose copies are counted, so a packet counts once however many
// instances heard it. (keepalived: one socket per interface and family, the
// lookup by VRID in vrrp_scheduler.c, "Unknown VRID ... ignoring".)
// A flood comes through here: no allocation per packet.
import type { ChannelOptions } from '../net/io';

export const UNCLAIMED_REASONS = ['short', 'unknown_vrid'] as const;
export type UnclaimedReason = (typeof UNCLAIMED_REASONS)[number];

type SocketOpts = Pick<ChannelOptions, 'ifname' | 'group' | 'src' | 'unicastPeers'>;

/** One instance's socket (a heartbeat path): open while it has a channel. */
export interface Socket {
  opts: SocketOpts;
  channel?: unknown;
}

/** Which socket a packet came in on: packets of one kind reach the same instances. */
export const socketKind = (o: SocketOpts) =>
  `${o.ifname}|${o.unicastPeers.length ? `u:${o.src}` : `m:${o.group}`}`;

export interface Listener {
  vrid: number;
  /** the sockets it listens on */
  listening(): readonly Socket[];
}

export class Unclaimed {
  readonly drops: Record<UnclaimedReason, number> = { short: 0, unknown_vrid: 0 };
  /** per socket kind: the VRIDs of the instances listening there */
  private owners?: Map<string, Set<number>>;
  /** per socket kind: the socket whose copies are counted */
  private readonly counter = new Map<string, Socket>();
  private readonly kinds = new WeakMap<SocketOpts, string>();

  constructor(private readonly listeners: () => Iterable<Listener>) {}

  /** The instances changed (start, reload, stop): look again. */
  reset() {
    this.owners = undefined;
    this.counter.clear();
  }

  private kindOf(o: SocketOpts) {
    let k = this.kinds.get(o);
    if (k === undefined) this.kinds.set(o, (k = socketKind(o)));
    return k;
  }

  private ownersOf(kind: string): Set<number> | undefined {
    if (!this.owners?.has(kind)) {
      this.owners = new Map();
      for (const l of this.listeners())
        for (const s of l.listening()) {
          const k = this.kindOf(s.opts);
          let set = this.owners.get(k);
          if (!set) this.owners.set(k, (set = new Set()));
          set.add(l.vrid);
        }
    }
    return this.owners.get(kind);
  }

  /**
   * A packet not of its instance's VRID (`vrid` undefined: too short to name
   * one) came in on `s`. The reason it is counted under, or undefined:
   * another instance owns it, or another socket counts the copies.
   */
  heard(vrid: number | undefined, s: Socket): UnclaimedReason | undefined {
    const kind = this.kindOf(s.opts);
    const c = this.counter.get(kind);
    if (c !== s) {
      if (c?.channel !== undefined) return undefined; // the counting socket is open: it counts
      this.counter.set(kind, s);
    }
    const reason =
      vrid === undefined ? 'short' : this.ownersOf(kind)?.has(vrid) ? undefined : 'unknown_vrid';
    if (reason) this.drops[reason]++;
    return reason;
  }
}
