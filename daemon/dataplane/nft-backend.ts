// Applies renderNft() with `nft -f -` and notices outside changes: the
// kernel's nftables events say that something changed, and comparing `nft
// list` output with what it showed right after our apply says whether it
// touched our tables.
import { execFile } from 'node:child_process';
import {
  AF_NETLINK,
  int32,
  native,
  SOCK_RAW,
  sockaddrNl,
  SOL_SOCKET,
  SO_RCVBUF,
} from '../net/native';
import { DR_TABLE, NAT_TABLE, renderNft, renderNftClear } from './nft';
import type { Dataplane, Service } from './types';
import type { Log } from '../core/log';

function nft(args: string[], input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = execFile('nft', args, { timeout: 10_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (input !== undefined) c.stdin!.end(input);
  });
}

const NETLINK_NETFILTER = 12;
/** nfnetlink multicast group of nftables ruleset changes */
const NFNLGRP_NFTABLES = 7;

export class NftDataplane implements Dataplane {
  readonly name = 'nftables' as const;
  /** changes are heard as they happen; the net only covers a lost event */
  readonly safetyNetMs = 60_000;
  private desired: Service[] = [];
  private seen = '';
  private expectTables = false;
  /** applies and reconciles one at a time */
  private queue: Promise<unknown> = Promise.resolve();
  private events?: { fd: number; drain(): boolean };
  errors = 0;

  constructor(private readonly log: Log) {}

  private async snapshot(): Promise<string> {
    const a = await nft(['list', 'table', 'netdev', DR_TABLE]);
    const b = await nft(['list', 'table', 'ip', NAT_TABLE]);
    return (a.code === 0 ? a.out : '') + (b.code === 0 ? b.out : '');
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
    this.desired = services;
    const r = renderNft(services);
    for (const s of r.skipped) this.log('warn', `dataplane: ${s.id} not programmed: ${s.reason}`);
    const res = await nft(['-f', '-'], r.text);
    if (res.code !== 0) {
      this.errors++;
      throw new Error(`nft: ${res.err.trim() || res.out.trim()}`);
    }
    // the kernel queued its events of our own transaction before nft exited: not outside changes
    this.events?.drain();
    this.seen = await this.snapshot();
    this.expectTables = /^table /m.test(r.text);
  }

  reconcile(): Promise<boolean> {
    return this.serial(async () => {
      const now = await this.snapshot();
      // unchanged since our apply, and present if we created anything (a listing that failed reads as empty)
      if (now === this.seen && !(this.expectTables && now === '')) return false;
      this.log('warn', 'dataplane: nftables tables changed outside keepalive-ts; re-applying');
      await this.applyNow(this.desired);
      return true;
    });
  }

  watchChanges(onChange: () => void): { close(): void } {
    const n = native();
    const fd = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
    const buf = Buffer.alloc(1 << 16);
    /** read what is queued; true if anything was (an overflow, ENOBUFS, counts: events were lost) */
    const drain = () => {
      let any = false;
      for (let i = 0; i < 1024; i++) {
        try {
          if (n.recv(fd, buf, 0) < 0) break;
        } catch {
          /* ENOBUFS: more changed than the buffer held */
        }
        any = true;
      }
      return any;
    };
    let watch: unknown;
    try {
      n.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(1 << 20));
      n.bind(fd, sockaddrNl(1 << (NFNLGRP_NFTABLES - 1)));
      watch = n.watch(fd, () => {
        if (drain()) onChange();
      });
    } catch (e) {
      n.close(fd);
      throw e;
    }
    this.events = { fd, drain };
    return {
      close: () => {
        n.unwatch(watch);
        n.close(fd);
        this.events = undefined;
      },
    };
  }

  clear(): Promise<void> {
    return this.serial(async () => {
      await nft(['-f', '-'], renderNftClear());
      this.events?.drain();
      this.seen = '';
    });
  }
}
