// The watchers behind the trackers: vrrp_script runs, reference-IP probes,
// the link state of tracked interfaces, track files (inotify) and tracked
// processes (the kernel's process events). Each result goes through the
// tracker's rise/fall (where it has one) and, when its state changes, to the
// instance.
import type { Config, VrrpInstance } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import { watchLinkTrackers } from './track-links';
import { watchSources } from './track-source';
import type { NetIO } from '../net/io';
import type { ProcConnEvent } from '../net/proc-connector';
import type { FileSource } from '../system/file-watch';
import { contribution, RiseFall, type Tracker, type TrackerStart } from './track';
import { initialFileWrite, parseTrackValue } from './track-file';
import { ProcessMonitor, type ProcSource } from './track-process';

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

/** The machine's processes and the kernel's events about them (system/procs.ts). */
export interface ProcessIO extends ProcSource {
  /** throws when the kernel's process events are unavailable */
  subscribe(onEvent: (e: ProcConnEvent) => void, lost: () => void): { close(): void };
}

export interface WatchDeps {
  net: NetIO;
  clock: Clock;
  scripts: ScriptRunner;
  log: Log;
  /** track files (absent: track_file is not watched) */
  files?: FileSource;
  /** processes (absent: vrrp_track_process is not watched) */
  procs?: ProcessIO;
  /** an interface's carrier read directly (linkbeat_use_polling) */
  carrier?: (ifname: string) => boolean;
  /** the thread's BFD sessions (absent: track_bfd is not watched) */
  bfd?: BfdFeed;
}

/** how often /proc is scanned again where the kernel's process events are unavailable */
export const PROC_RESCAN_MS = 1000;

/**
 * One generation of watchers: a reload stops it and starts a new one. Made
 * before the instances, so they start from the files' values and the
 * processes' quorums (`initial`).
 */
export class TrackerWatch {
  private readonly timers = new Set<Timer>();
  private readonly closers: { close(): void }[] = [];
  private stopped = false;
  private instances: readonly Tracked[] = [];
  private readonly fileValues = new Map<string, number>();
  private monitor?: ProcessMonitor;
  readonly initial: Omit<TrackerStart, 'linkUp'>;

  constructor(
    private readonly deps: WatchDeps,
    private readonly config: Config,
    reload = false,
  ) {
    this.prepareFiles(reload);
    this.prepareProcesses();
    this.initial = {
      fileValue: (name) => this.fileValues.get(name) ?? 0,
      processUp: (name) => this.monitor?.isUp(name) ?? false,
    };
  }

  start(instances: readonly Tracked[]) {
    this.instances = instances;
    this.startScripts();
    this.startReferenceProbes();
    const links = watchLinkTrackers(this.deps, this.config, this.instances);
    if (links) this.closers.push(links);
    this.startFiles();
    this.startProcesses();
    this.startBfd();
    const src = watchSources(this.deps.net, this.instances, this.deps.log);
    if (src) this.closers.push(src);
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const c of this.closers.splice(0)) c.close();
    this.monitor?.stop();
    this.unsubscribeBfd?.();
    this.unsubscribeBfd = undefined;
  }

  private unsubscribeBfd?: () => void;

  private startBfd() {
    if (!this.deps.bfd || !this.instances.some((i) => i.trackers.some((t) => t.kind === 'bfd')))
      return;
    this.unsubscribeBfd = watchBfd(this.deps.bfd, this.instances, this.deps.log);
  }

  /** the trackers of one kind and name, with their instances */
  private users(kind: Tracker['kind'], name: string) {
    return this.instances.flatMap((i) =>
      i.trackers.filter((t) => t.kind === kind && t.name === name).map((t) => ({ i, t })),
    );
  }

  /**
   * Every declared track file (a reload's config holds only the instances it
   * creates, so what the kept ones track is known only from their trackers:
   * the watches are set up for the trackers that exist).
   */
  private trackedFiles() {
    return this.config.track_file.filter((f) => f.file);
  }

  /** init_file, then the first reading of every tracked file */
  private prepareFiles(reload: boolean) {
    const files = this.deps.files;
    if (!files) return;
    for (const f of this.trackedFiles()) {
      const text = initialFileWrite(f, files.kind(f.file!), reload);
      if (text !== undefined) {
        try {
          files.write(f.file!, text);
        } catch (e) {
          this.deps.log(
            'error',
            `track_file ${f.name}: cannot initialise ${f.file}: ${(e as Error).message}`,
          );
        }
      }
      const v = parseTrackValue(files.read(f.file!));
      this.fileValues.set(f.name, v ?? 0);
    }
  }

  /** inotify on each file's directory; every change is read again */
  private startFiles() {
    const files = this.deps.files;
    if (!files) return;
    for (const f of this.trackedFiles()) {
      const users = this.users('file', f.name);
      if (!users.length) continue;
      if (!files.dirExists(f.file!)) {
        this.deps.log(
          'error',
          `track_file ${f.name}: directory of ${f.file} does not exist, not tracked`,
        );
        continue;
      }
      const readNow = () => {
        if (this.stopped) return;
        const v = parseTrackValue(files.read(f.file!));
        if (v === undefined) {
          this.deps.log('warn', `track_file ${f.name}: invalid number in ${f.file}, ignored`);
          return;
        }
        this.fileValues.set(f.name, v);
        for (const { i, t } of users) {
          if (t.value === v) continue;
          t.value = v;
          const ok = !contribution(t).fault;
          this.deps.log(
            ok ? 'info' : 'warn',
            `${i.name}: track_file ${f.name} now ${v}${ok ? '' : ': FAULT'}`,
          );
          t.ok = ok;
          i.applyTrackers();
        }
      };
      try {
        this.closers.push(files.watch(f.file!, readNow));
      } catch (e) {
        this.deps.log(
          'error',
          `track_file ${f.name}: cannot watch ${f.file}: ${(e as Error).message}`,
        );
        continue;
      }
      readNow(); // a change between the first reading and the watch
    }
  }

  private trackedProcesses() {
    return this.config.vrrp_track_process.filter((p) => p.process);
  }

  /** one /proc scan: the quorums the instances start from */
  private prepareProcesses() {
    const specs = this.trackedProcesses();
    if (!specs.length || !this.deps.procs) return;
    this.monitor = new ProcessMonitor(specs, this.deps.procs, this.deps.clock, (name, up) => {
      this.deps.log(
        up ? 'info' : 'warn',
        `vrrp_track_process ${name}: quorum ${up ? 'gained' : 'lost'}`,
      );
      for (const { i, t } of this.users('process', name)) {
        if (t.ok === up) continue;
        t.ok = up;
        i.applyTrackers();
      }
    });
  }

  /**
   * The kernel's process events keep the counts; where they are unavailable
   * (no CONFIG_PROC_EVENTS, no CAP_NET_ADMIN, not the initial network
   * namespace) or never confirm the subscription, /proc is scanned every
   * PROC_RESCAN_MS instead.
   */
  private startProcesses() {
    const m = this.monitor;
    const io = this.deps.procs!;
    if (!m) return;
    // the processes' states may have moved since the instances were made
    for (const p of this.trackedProcesses())
      for (const { i, t } of this.users('process', p.name))
        if (t.ok !== m.isUp(p.name)) {
          t.ok = m.isUp(p.name);
          i.applyTrackers();
        }
    const poll = (why: string) => {
      this.deps.log(
        'warn',
        `vrrp_track_process: kernel process events unavailable (${why}); scanning /proc every ${PROC_RESCAN_MS / 1000} s`,
      );
      const tick = () => {
        if (this.stopped) return;
        m.rescan();
        this.after(PROC_RESCAN_MS, tick);
      };
      this.after(PROC_RESCAN_MS, tick);
    };
    let acked = false;
    let sub: { close(): void };
    try {
      sub = io.subscribe(
        (e) => {
          if (e.type === 'ack') acked = true;
          else if (e.type !== 'exit' || e.pid > 0) m.handle(e);
        },
        () => m.rescan(),
      );
    } catch (e) {
      return poll((e as Error).message);
    }
    this.closers.push(sub);
    // keepalived waits for the kernel's confirmation of the subscription too
    this.after(PROC_RESCAN_MS, () => {
      if (acked) return;
      sub.close();
      poll('no confirmation from the kernel');
    });
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
      const users = this.users('script', s.name);
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
