// Every bfd_instance of a config as running sessions: packets routed to their
// session (RFC 5880 6.8.6 selection: by Your Discriminator, else by address),
// reloads applied as keepalived applies them (a session of the same name keeps
// its state; changed timers start a poll sequence), and each session's
// up/down told to whoever listens (the VRRP trackers). Pure: the sockets
// are behind BfdTransport (io.ts).
import type { BfdInstance } from '../config/model';
import { bytesToIpv6, ipToBytes } from '../core/address';
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import { checkBfd, decodeBfd, encodeBfd } from './packet';
import { BfdSession, type SessionParams, type SessionStatus } from './session';

export interface BfdSender {
  send(packet: Buffer): void;
  close(): void;
}

export interface Received {
  data: Buffer;
  from: string;
  /** our address it was sent to, when the socket says */
  to?: string;
  /** TTL or hop limit, when the socket says */
  ttl?: number;
}

export interface BfdTransport {
  /** start receiving control packets (UDP 3784, both families) */
  listen(onPacket: (p: Received) => void): void;
  /** a socket toward one neighbour, sending with `ttl` (throws when it cannot be opened) */
  sender(neighbor: string, source: string | undefined, ttl: number): BfdSender;
  close(): void;
}

export type BfdListener = (name: string, up: boolean) => void;

/** Canonical text of an address (IPv6 in RFC 5952 form), for comparisons. */
const canon = (ip: string) => {
  const b = ipToBytes(ip);
  return b.length === 4 ? ip : bytesToIpv6(b, 0);
};

/** keepalived's session parameters from a bfd_instance (ms to us; max_hops -1 = unchecked). */
export function paramsOf(b: BfdInstance): SessionParams {
  return {
    name: b.name,
    minRxUs: Math.round(b.min_rx * 1000),
    minTxUs: Math.round(b.min_tx * 1000),
    idleTxUs: Math.round(b.idle_tx * 1000),
    detectMult: b.multiplier,
    passive: b.passive,
    ttl: b.ttl!,
    maxHops: b.max_hops < 0 ? 255 : b.max_hops,
  };
}

interface Entry {
  cfg: BfdInstance;
  session: BfdSession;
  sender?: BfdSender;
  neighbor: string;
  source?: string;
}

export class BfdSessions {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<BfdListener>();
  private listening = false;
  /** packets dropped, by reason (status and tests) */
  readonly drops = new Map<string, number>();

  constructor(
    private readonly transport: BfdTransport,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly random: () => number = Math.random,
  ) {}

  /** Run exactly the sessions of `instances` (start, or a reload). */
  apply(instances: readonly BfdInstance[]) {
    const next = new Map(instances.filter((b) => b.neighbor_ip).map((b) => [b.name, b]));
    for (const [name, e] of this.entries) {
      const n = next.get(name);
      const same =
        n &&
        canon(n.neighbor_ip!) === e.neighbor &&
        (n.source_ip ? canon(n.source_ip) : undefined) === e.source &&
        n.ttl === e.cfg.ttl;
      if (same) {
        e.session.reconfigure(paramsOf(n));
        e.cfg = n;
      } else this.remove(name);
    }
    for (const b of next.values()) if (!this.entries.has(b.name)) this.add(b);
    if (this.entries.size && !this.listening) {
      this.transport.listen((p) => this.receive(p));
      this.listening = true;
    }
  }

  /** Is the session up, as trackers see it (undefined: no such session). */
  isUp(name: string): boolean | undefined {
    return this.entries.get(name)?.session.up;
  }

  /** Hear every session's up/down; returns the way to stop hearing. */
  subscribe(fn: BfdListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  status(): SessionStatus[] {
    return [...this.entries.values()].map((e) => e.session.status());
  }

  session(name: string) {
    return this.entries.get(name)?.session;
  }

  stop() {
    for (const name of [...this.entries.keys()]) this.remove(name);
    this.transport.close();
    this.listening = false;
  }

  private add(cfg: BfdInstance) {
    const e: Entry = {
      cfg,
      neighbor: canon(cfg.neighbor_ip!),
      source: cfg.source_ip ? canon(cfg.source_ip) : undefined,
      session: undefined as unknown as BfdSession,
    };
    e.session = new BfdSession(paramsOf(cfg), this.clock, {
      random: this.random,
      send: (p) => {
        try {
          e.sender?.send(encodeBfd(p));
        } catch (err) {
          this.log('debug', `bfd ${cfg.name}: send: ${(err as Error).message}`);
        }
      },
      onChange: (up, why) => {
        this.log(up ? 'info' : 'warn', `bfd ${cfg.name}: ${up ? 'Up' : 'Down'} (${why})`);
        for (const l of this.listeners) l(cfg.name, up);
      },
    });
    try {
      e.sender = this.transport.sender(cfg.neighbor_ip!, cfg.source_ip, cfg.ttl!);
    } catch (err) {
      // keepalived puts such a session in AdminDown; ours stays Down and silent
      this.log('error', `bfd ${cfg.name}: cannot open its socket: ${(err as Error).message}`);
    }
    this.entries.set(cfg.name, e);
    e.session.start();
  }

  private remove(name: string) {
    const e = this.entries.get(name)!;
    e.session.stop();
    e.sender?.close();
    this.entries.delete(name);
  }

  private drop(reason: string, from: string) {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.log('debug', `bfd: packet from ${from} discarded: ${reason}`);
  }

  /** One received datagram: checks, session selection, the session's own rules. */
  receive(r: Received) {
    const p = decodeBfd(r.data);
    if (!p) return this.drop(`${r.data.length} bytes, too short`, r.from);
    const bad = checkBfd(p, r.data.length);
    if (bad) return this.drop(bad, r.from);
    let e: Entry | undefined;
    if (p.yourDiscr !== 0) {
      for (const x of this.entries.values()) if (x.session.localDiscr === p.yourDiscr) e = x;
    } else {
      const from = canon(r.from);
      const to = r.to ? canon(r.to) : undefined;
      for (const x of this.entries.values())
        if (x.neighbor === from && (!x.source || !to || x.source === to)) e = x;
    }
    if (!e) return this.drop(`no session (your discriminator ${p.yourDiscr})`, r.from);
    const why = e.session.receive(p, r.ttl);
    if (why) this.drop(why, r.from);
  }
}
