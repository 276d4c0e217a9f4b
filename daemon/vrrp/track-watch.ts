// The watchers behind the trackers: vrrp_script runs, reference-IP probes
// and the link state of tracked interfaces. Each result goes through the
// tracker's rise/fall and, when its state changes, to the instance.
import type { Config, VrrpInstance } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import type { NetIO } from '../net/io';
import { RiseFall, type Tracker } from './track';

export interface ScriptRunner {
  /** run argv with a timeout; resolves to the exit code (non-zero on timeout or spawn failure) */
  run(argv: string[], timeoutMs: number, user?: { user: string; group?: string }): Promise<number>;
  /** may this script run at all (script security)? keepalived drops a refused vrrp_script */
  allowed?(cmd: string, user?: { user: string; group?: string }): boolean;
}

/** What a watcher needs of an instance. */
export interface Tracked {
  readonly name: string;
  readonly cfg: VrrpInstance;
  readonly trackers: Tracker[];
  /** a tracker changed: recompute priority / fault */
  applyTrackers(): void;
}

/** The BFD sessions of the thread (daemon/bfd/sessions.ts), as trackers see them. */
export interface BfdFeed {
  isUp(name: string): boolean | undefined;
  subscribe(fn: (name: string, up: boolean) => void): () => void;
}

export interface WatchDeps {
  net: NetIO;
  clock: Clock;
  scripts: ScriptRunner;
  log: Log;
  bfd?: BfdFeed;
}

/** One generation of watchers: a reload stops it and starts a new one. */
export class TrackerWatch {
  private readonly timers = new Set<Timer>();
  private links?: { close(): void };
  private unsubscribeBfd?: () => void;
  private stopped = false;

  constructor(
    private readonly deps: WatchDeps,
    private readonly config: Config,
    private readonly instances: readonly Tracked[],
  ) {}

  start() {
    this.startScripts();
    this.startReferenceProbes();
    this.startLinkWatch();
    this.startBfd();
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    this.links?.close();
    this.links = undefined;
    this.unsubscribeBfd?.();
    this.unsubscribeBfd = undefined;
  }

  /** Run fn `ms` from now unless stopped first. */
  private after(ms: number, fn: () => void) {
    const t = this.deps.clock.at(this.deps.clock.now() + ms, () => {
      this.timers.delete(t);
      fn();
    });
    this.timers.add(t);
  }

  /** Repeat `probe` every `intervalMs` until stopped; `onResult` sees each result. */
  private every(
    intervalMs: number,
    probe: () => Promise<boolean>,
    onResult: (ok: boolean) => void,
  ) {
    const tick = async () => {
      if (this.stopped) return;
      const ok = await probe();
      if (this.stopped) return;
      onResult(ok);
      this.after(intervalMs, () => void tick());
    };
    void tick();
  }

  private update(inst: Tracked, t: Tracker, next: boolean, what: string, up: string, down: string) {
    if (next === t.ok) return;
    t.ok = next;
    this.deps.log(next ? 'info' : 'warn', `${inst.name}: ${what} ${next ? up : down}`);
    inst.applyTrackers();
  }

  private startScripts() {
    for (const s of this.config.vrrp_script) {
      const users = this.instances.flatMap((i) =>
        i.trackers.filter((t) => t.kind === 'script' && t.name === s.name).map((t) => ({ i, t })),
      );
      if (users.length === 0 || !s.script) continue; // keepalived only runs scripts something tracks
      const argv = splitArgv(s.script);
      if (this.deps.scripts.allowed && !this.deps.scripts.allowed(argv[0], s.user)) continue;
      const rf = new RiseFall(s.rise, s.fall);
      this.every(
        s.interval * 1000,
        async () =>
          (await this.deps.scripts.run(argv, (s.timeout ?? s.interval) * 1000, s.user)) === 0,
        (ok) => {
          rf.record(ok);
          for (const { i, t } of users)
            this.update(i, t, rf.state(t.ok), `vrrp_script ${s.name}`, 'succeeded', 'failed');
        },
      );
    }
  }

  /** Reference-IP guard: ICMP echo every interval; `fall` misses = FAULT, `rise` answers = back. */
  private startReferenceProbes() {
    for (const inst of this.instances) {
      const ref = inst.cfg.track_reference;
      const t = inst.trackers.find((x) => x.kind === 'reference');
      if (!ref?.address || !t) continue;
      const rf = new RiseFall(ref.rise, ref.fall);
      this.every(
        ref.interval * 1000,
        () => this.deps.net.ping(ref.address!, ref.timeout * 1000),
        (ok) => {
          rf.record(ok);
          this.update(
            inst,
            t,
            rf.state(t.ok),
            `reference ${ref.address}`,
            'reachable again',
            'unreachable: FAULT, virtual addresses released',
          );
        },
      );
    }
  }

  private startBfd() {
    if (!this.deps.bfd || !this.instances.some((i) => i.trackers.some((t) => t.kind === 'bfd')))
      return;
    this.unsubscribeBfd = watchBfd(this.deps.bfd, this.instances, this.deps.log);
  }

  private startLinkWatch() {
    const watched = this.instances.filter((i) => i.trackers.some((t) => t.kind === 'interface'));
    if (!watched.length) return;
    // kernel link events, then a look at each tracked interface: no polling
    const check = () => {
      if (this.stopped) return;
      for (const i of watched) {
        let changed = false;
        for (const t of i.trackers) {
          if (t.kind !== 'interface') continue;
          const up = this.deps.net.linkUp(t.name);
          if (up === t.ok) continue;
          t.ok = up;
          changed = true;
          this.deps.log(
            up ? 'info' : 'warn',
            `${i.name}: interface ${t.name} ${up ? 'up' : 'down'}`,
          );
        }
        if (changed) i.applyTrackers();
      }
    };
    this.links = this.deps.net.watchLinks(check);
    check(); // a change between the instance's start and the subscription
  }
}

/** track_bfd: each session's up/down, pushed by the sessions (no polling). */
function watchBfd(feed: BfdFeed, instances: readonly Tracked[], log: Log): () => void {
  const set = (i: Tracked, t: Tracker, up: boolean) => {
    if (up === t.ok) return false;
    t.ok = up;
    log(up ? 'info' : 'warn', `${i.name}: bfd ${t.name} ${up ? 'up' : 'down'}`);
    return true;
  };
  // the sessions' state now (a reload keeps sessions and their state)
  for (const i of instances) {
    let changed = false;
    for (const t of i.trackers)
      if (t.kind === 'bfd') changed = set(i, t, feed.isUp(t.name) ?? false) || changed;
    if (changed) i.applyTrackers();
  }
  return feed.subscribe((name, up) => {
    for (const i of instances) {
      const t = i.trackers.find((x) => x.kind === 'bfd' && x.name === name);
      if (t && set(i, t, up)) i.applyTrackers();
    }
  });
}
