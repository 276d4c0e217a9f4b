// Applies the nftables dataplane with `nft -f -`: a whole ruleset when its
// structure changes, else only the map elements that changed (a real server
// failing or coming back is a delta, not a rewrite). Outside changes are
// heard from the kernel's nftables events for our tables; a slow safety net
// compares `nft list` output with what it showed before.
import type { Log } from '../core/log';
import { AF_NETLINK, native, setRcvBuf, SOCK_RAW, sockaddrNl, type RcvBuf } from '../net/native';
import {
  DR_TABLE,
  NAT_TABLE,
  NAT6_TABLE,
  renderNft,
  renderNftClear,
  renderNftDelta,
  type Rendered,
} from './nft';
import { tablesTouched } from './nft-events';
import { nft } from './nft-run';
import type { Dataplane, Service } from './types';

const NETLINK_NETFILTER = 12;
/** nfnetlink multicast group of nftables ruleset changes */
const NFNLGRP_NFTABLES = 7;
const OURS = new Set([DR_TABLE, NAT_TABLE, NAT6_TABLE]);

export class NftDataplane implements Dataplane {
  readonly name = 'nftables' as const;
  /** changes are heard as they happen; the net only covers a lost event */
  readonly safetyNetMs = 60_000;
  private desired: Service[] = [];
  /** what we last applied (undefined: unknown, the next apply is a whole ruleset) */
  private applied?: Rendered;
  /** the safety net's listing of our tables, taken the first time it looks after an apply */
  private seen?: string;
  /** an event said someone else changed our tables */
  private touched = false;
  /** applies and reconciles one at a time */
  private queue: Promise<unknown> = Promise.resolve();
  private events?: { drain(): boolean };
  /** how the last apply went: a delta of N elements, or the whole ruleset */
  lastApply?: { kind: 'delta' | 'ruleset' | 'none'; ms: number };
  errors = 0;
  private threshWarned = false;
  /** our own nft is running: the nftables events heard meanwhile are ours */
  private applying = false;
  /** lvs_netlink_monitor_rcv_bufs for the event socket (default 1 MiB) and where to say it failed */
  private monitorBuf: { buf: RcvBuf; warn?: (m: string) => void } = {
    buf: { bytes: 1 << 20, force: false },
  };
  private eventFd?: number;

  constructor(private readonly log: Log) {}

  private async snapshot(): Promise<string> {
    const a = await nft(['list', 'table', 'netdev', DR_TABLE]);
    const b = await nft(['list', 'table', 'ip', NAT_TABLE]);
    const c = await nft(['list', 'table', 'ip6', NAT6_TABLE]);
    return [a, b, c].map((r) => (r.code === 0 ? r.out : '')).join('');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  apply(services: Service[]): Promise<void> {
    return this.serial(() => this.applyNow(services));
  }

  private async applyNow(services: Service[]): Promise<void> {
    const t0 = performance.now();
    this.desired = services;
    const r = renderNft(services);
    for (const s of r.skipped) this.log('warn', `dataplane: ${s.id} not programmed: ${s.reason}`);
    const thresh = services.find((s) => s.destinations.some((d) => d.uThresh || d.lThresh));
    if (thresh && !this.threshWarned) {
      this.threshWarned = true;
      this.log(
        'warn',
        `dataplane: ${thresh.id}: uthreshold/lthreshold not applied by the nftables backend (it keeps no connection counts); use lvs_backend ipvs`,
      );
    }
    const delta = this.applied ? renderNftDelta(this.applied, r) : undefined;
    if (delta === '') {
      this.lastApply = { kind: 'none', ms: performance.now() - t0 };
      return;
    }
    let res: Awaited<ReturnType<typeof nft>>;
    // the events of our own transaction are not outside changes: the kernel
    // queues them before nft exits, but the watch may read them first
    this.applying = true;
    try {
      res = await nft(['-f', '-'], delta ?? r.text);
      if (res.code !== 0 && delta !== undefined) res = await nft(['-f', '-'], r.text); // our picture was off
    } finally {
      this.events?.drain();
      this.applying = false;
    }
    if (res.code !== 0) {
      this.errors++;
      this.applied = undefined;
      throw new Error(`nft: ${res.err.trim() || res.out.trim()}`);
    }
    this.applied = r;
    this.seen = undefined;
    this.lastApply = { kind: delta ? 'delta' : 'ruleset', ms: performance.now() - t0 };
  }

  reconcile(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.touched) {
        // the safety net: our tables as listed now against the last listing since our apply
        const now = await this.snapshot();
        const expectTables = /^table /m.test(this.applied?.text ?? '');
        if (this.seen === undefined && !(expectTables && now === '')) {
          this.seen = now;
          return false;
        }
        if (now === this.seen) return false;
      }
      this.touched = false;
      this.log('warn', 'dataplane: nftables tables changed outside keepalive-ts; re-applying');
      this.applied = undefined;
      await this.applyNow(this.desired);
      return true;
    });
  }

  /** lvs_netlink_monitor_rcv_bufs: the nftables event socket; `nft` itself makes the requests */
  tune(bufs: { monitor?: RcvBuf }, warn: (msg: string) => void) {
    this.monitorBuf = { buf: bufs.monitor ?? { bytes: 1 << 20, force: false }, warn };
    if (this.eventFd !== undefined) this.sizeBuf(this.eventFd);
  }

  private sizeBuf(fd: number) {
    const { buf, warn } = this.monitorBuf;
    const err = setRcvBuf(native(), fd, buf);
    if (err) warn?.(`nftables event socket: SO_RCVBUFFORCE ${buf.bytes}: ${err}`);
  }

  watchChanges(onChange: () => void): { close(): void } {
    const n = native();
    const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
    const buf = Buffer.alloc(1 << 16);
    /** read what is queued; true if it touched our tables (an overflow, ENOBUFS, counts too) */
    const drain = () => {
      let ours = false;
      for (let i = 0; i < 4096; i++) {
        let len: number;
        try {
          len = n.recv(fd, buf, 0);
        } catch {
          ours = true; // ENOBUFS: events were lost
          continue;
        }
        if (len < 0) break;
        if (!ours) ours = tablesTouched(buf.subarray(0, len)).some((t) => OURS.has(t));
      }
      return ours;
    };
    let watch: unknown;
    try {
      this.sizeBuf(fd);
      n.bind(fd, sockaddrNl(1 << (NFNLGRP_NFTABLES - 1)));
      watch = n.watch(fd, () => {
        if (!drain() || this.applying) return;
        this.touched = true;
        onChange();
      });
    } catch (e) {
      n.close(fd);
      throw e;
    }
    this.events = { drain };
    this.eventFd = fd;
    return {
      close: () => {
        n.unwatch(watch);
        n.close(fd);
        this.events = undefined;
        this.eventFd = undefined;
      },
    };
  }

  /** lvs_flush / lvs_flush_on_stop: there are no IPVS services here; our own tables go */
  flushAll(): Promise<void> {
    return this.clear();
  }

  setTimeouts(): Promise<void> {
    return Promise.reject(
      new Error(
        'lvs_timeouts: not applied by the nftables backend (DR keeps no connection state; NAT follows the host-wide net.netfilter.nf_conntrack_*_timeout sysctls)',
      ),
    );
  }

  clear(): Promise<void> {
    return this.serial(async () => {
      this.applying = true;
      try {
        await nft(['-f', '-'], renderNftClear());
      } finally {
        this.events?.drain();
        this.applying = false;
      }
      this.applied = undefined;
      this.seen = undefined;
    });
  }
}
