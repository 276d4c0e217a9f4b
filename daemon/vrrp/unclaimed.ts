// Packets no instance claims: too short to name a VRID, or naming a VRID no
// instance on that socket has. Each instance has its own raw socket, so every
// packet on a link reaches every instance listening there; each instance
// keeps what carries its own VRID and hands the rest here. One instance per
// socket kind (interface + multicast group, or interface + unicast source)
// is the one whose copies are counted, so a packet counts once however many
// instances heard it. (keepalived: one socket per interface and family, the
// lookup by VRID in vrrp_scheduler.c, "Unknown VRID ... ignoring".)
import type { ChannelOptions } from '../net/io';

export const UNCLAIMED_REASONS = ['short', 'unknown_vrid'] as const;
export type UnclaimedReason = (typeof UNCLAIMED_REASONS)[number];

type SocketOpts = Pick<ChannelOptions, 'ifname' | 'group' | 'src' | 'unicastPeers'>;

/** Which socket a packet came in on: packets of one kind reach the same instances. */
export const socketKind = (o: SocketOpts) =>
  `${o.ifname}|${o.unicastPeers.length ? `u:${o.src}` : `m:${o.group}`}`;

export interface Listener {
  vrid: number;
  /** the sockets it listens on, with whether each is open now */
  listening(): readonly { opts: SocketOpts; open: boolean }[];
}

export class Unclaimed {
  readonly drops: Record<UnclaimedReason, number> = { short: 0, unknown_vrid: 0 };
  /** per socket kind: the VRIDs of the instances listening there */
  private owners?: Map<string, Set<number>>;
  /** per socket kind: the instance whose copies are counted */
  private readonly counter = new Map<string, Listener>();

  constructor(private readonly listeners: () => Iterable<Listener>) {}

  /** The instances changed (start, reload, stop): look again. */
  reset() {
    this.owners = undefined;
    this.counter.clear();
  }

  private ownersOf(kind: string): Set<number> {
    if (!this.owners || !this.owners.has(kind)) {
      this.owners = new Map();
      for (const l of this.listeners())
        for (const s of l.listening()) {
          const k = socketKind(s.opts);
          let set = this.owners.get(k);
          if (!set) this.owners.set(k, (set = new Set()));
          set.add(l.vrid);
        }
    }
    return this.owners.get(kind) ?? new Set();
  }

  /** is `l` the counting instance of this socket kind (the first whose socket is open)? */
  private counts(kind: string, l: Listener): boolean {
    const c = this.counter.get(kind);
    const stillOpen = (x: Listener) =>
      x.listening().some((s) => s.open && socketKind(s.opts) === kind);
    if (c && (c === l || stillOpen(c))) return c === l;
    this.counter.set(kind, l);
    return true;
  }

  /**
   * Instance `l` heard a packet not of its VRID (`vrid` undefined: too short
   * to name one) on the socket `opts`. The reason it is counted under, or
   * undefined: another instance owns it, or another instance counts copies.
   */
  heard(vrid: number | undefined, opts: SocketOpts, l: Listener): UnclaimedReason | undefined {
    const kind = socketKind(opts);
    if (!this.counts(kind, l)) return undefined;
    const reason =
      vrid === undefined ? 'short' : this.ownersOf(kind).has(vrid) ? undefined : 'unknown_vrid';
    if (reason) this.drops[reason]++;
    return reason;
  }
}
