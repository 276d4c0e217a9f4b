// The daemon's ordered event stream: every instance transition and real
// server change with a sequence number and a timestamp. Subscribers (the
// control socket's `events --follow`) get them in order, none lost: a slow
// reader is buffered, not skipped.

export type EventBody =
  | {
      kind: 'instance';
      instance: string;
      from: string;
      to: string;
      cause: string;
      priority: number;
      wallTime: number;
    }
  | {
      /** BIRD accepted an announce/withdraw of the VIP route (bgp_announce) */
      kind: 'bgp';
      change: 'announce' | 'withdraw';
      announced: boolean;
      reason: string;
      wallTime: number;
    }
  | {
      kind: 'real_server';
      virtualServer: string;
      realServer: string;
      up: boolean;
      reason: string;
      wallTime: number;
    };

export type DaemonEvent = EventBody & { seq: number; time: string };

export class EventLog {
  private seq = 0;
  private readonly backlog: DaemonEvent[] = [];
  private readonly subs = new Set<(e: DaemonEvent) => void>();

  constructor(private readonly keep = 10_000) {}

  emit(body: EventBody): DaemonEvent {
    const e = {
      ...body,
      seq: ++this.seq,
      time: new Date(body.wallTime).toISOString(),
    } as DaemonEvent;
    this.backlog.push(e);
    if (this.backlog.length > this.keep) this.backlog.shift();
    for (const s of this.subs) s(e);
    return e;
  }

  /** events after `since` still in the backlog */
  since(since = 0): DaemonEvent[] {
    return this.backlog.filter((e) => e.seq > since);
  }

  subscribe(fn: (e: DaemonEvent) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
}
