// Process tracking (keepalived's core/track_process.c), the pure part: which
// processes match a vrrp_track_process, how many there are, and when a
// tracker gains or loses its quorum (fork_delay / terminate_delay). Processes
// come from a ProcSource: one /proc scan at start, then the kernel's process
// events (system/procs.ts), or a bounded rescan where those are unavailable.
import type { TrackProcess } from '../config/model';
import type { Clock, Timer } from '../core/clock';

export interface ProcInfo {
  /** /proc/PID/comm (the kernel keeps 15 characters) */
  comm: string;
  /** /proc/PID/cmdline split at NUL, when asked for */
  argv?: string[];
}

export type ProcEvent =
  | { type: 'fork'; parent: number; child: number }
  | { type: 'exec'; pid: number }
  | { type: 'comm'; pid: number; comm: string }
  | { type: 'exit'; pid: number };

export interface ProcSource {
  /** the pids now running */
  pids(): number[];
  /** a process's name (and command line), undefined when gone or a zombie */
  info(pid: number, argv: boolean): ProcInfo | undefined;
}

type Spec = Pick<
  TrackProcess,
  | 'name'
  | 'process'
  | 'param_match'
  | 'full_command'
  | 'quorum'
  | 'quorum_max'
  | 'fork_delay'
  | 'terminate_delay'
>;

/** Does a process match a vrrp_track_process (keepalived: exact name, no regular expression)? */
export function matches(spec: Spec, p: ProcInfo): boolean {
  const want = spec.process!;
  if (!spec.full_command) return p.comm === want.path;
  const argv = p.argv ?? [];
  if (argv[0] !== want.path) return false;
  const have = argv.slice(1);
  const need = want.params;
  switch (spec.param_match) {
    case undefined:
    case 'none':
      return true;
    case 'exact':
      return have.length === need.length && need.every((x, i) => have[i] === x);
    case 'partial':
      return have.length >= need.length && need.every((x, i) => have[i] === x);
    case 'initial': {
      // the last parameter may be longer than the one configured
      if (need.length === 0) return true;
      const n = need.length - 1;
      return (
        have.length >= need.length &&
        need.slice(0, n).every((x, i) => have[i] === x) &&
        have[n].startsWith(need[n])
      );
    }
  }
}

/** Counts the processes of each tracker and reports quorum changes. */
export class ProcessMonitor {
  /** pid -> the trackers it counts for */
  private readonly pids = new Map<number, Set<string>>();
  private readonly count = new Map<string, number>();
  private readonly up = new Map<string, boolean>();
  private readonly timers = new Map<string, Timer>();
  private readonly byName: Map<string, Spec>;
  private readonly needArgv: boolean;

  constructor(
    private readonly specs: readonly Spec[],
    private readonly source: ProcSource,
    private readonly clock: Clock,
    private readonly onChange: (name: string, up: boolean) => void,
  ) {
    this.byName = new Map(specs.map((s) => [s.name, s]));
    this.needArgv = specs.some((s) => s.full_command);
    for (const s of specs) this.count.set(s.name, 0);
    this.rescan(true);
  }

  /** Has the tracker its quorum (as reported: delays applied)? */
  isUp(name: string): boolean {
    return this.up.get(name) ?? false;
  }

  processes(name: string): number {
    return this.count.get(name) ?? 0;
  }

  stop() {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  /**
   * Look at every process again (at start, after lost events, and every
   * second where the kernel's process events are unavailable).
   */
  rescan(initial = false) {
    const seen = new Set<number>();
    for (const pid of this.source.pids()) {
      seen.add(pid);
      this.recheck(pid);
    }
    for (const pid of [...this.pids.keys()]) if (!seen.has(pid)) this.drop(pid);
    for (const s of this.specs) this.evaluate(s.name, initial ? 'initial' : 'scan');
  }

  handle(e: ProcEvent) {
    switch (e.type) {
      case 'fork': {
        // keepalived: a child of a counted process counts for the same trackers until it execs
        const parent = this.pids.get(e.parent);
        if (!parent) return;
        this.set(e.child, new Set(parent));
        for (const n of parent) this.evaluate(n, 'fork');
        return;
      }
      case 'exec':
      case 'comm': {
        const before = this.pids.get(e.pid) ?? new Set<string>();
        this.recheck(e.pid, e.type === 'comm' ? e.comm : undefined);
        const after = this.pids.get(e.pid) ?? new Set<string>();
        for (const n of new Set([...before, ...after])) this.evaluate(n, e.type);
        return;
      }
      case 'exit': {
        const had = this.pids.get(e.pid);
        if (!had) return;
        this.drop(e.pid);
        for (const n of had) this.evaluate(n, 'exit');
      }
    }
  }

  /** Match one process against every tracker; a comm event changes only name matches. */
  private recheck(pid: number, comm?: string) {
    const info =
      comm !== undefined && !this.needArgv ? { comm } : this.source.info(pid, this.needArgv);
    const now = new Set<string>();
    const before = this.pids.get(pid);
    if (info) {
      if (comm !== undefined) info.comm = comm;
      for (const s of this.specs) {
        // keepalived: a name change does not touch command-line matches
        if (comm !== undefined && s.full_command) {
          if (before?.has(s.name)) now.add(s.name);
        } else if (matches(s, info)) now.add(s.name);
      }
    }
    if (now.size) this.set(pid, now);
    else this.drop(pid);
  }

  private set(pid: number, names: Set<string>) {
    this.drop(pid);
    this.pids.set(pid, names);
    for (const n of names) this.count.set(n, (this.count.get(n) ?? 0) + 1);
  }

  private drop(pid: number) {
    const had = this.pids.get(pid);
    if (!had) return;
    this.pids.delete(pid);
    for (const n of had) this.count.set(n, (this.count.get(n) ?? 1) - 1);
  }

  private quorate(s: Spec) {
    const n = this.count.get(s.name) ?? 0;
    return n >= s.quorum && n <= (s.quorum_max ?? Infinity);
  }

  /**
   * keepalived's delays: a quorum gained by a fork waits fork_delay, one lost
   * by an exit waits terminate_delay (against fork/exec and restart bounces);
   * anything else, and a change back before the delay ends, applies at once.
   */
  private evaluate(name: string, cause: ProcEvent['type'] | 'scan' | 'initial') {
    const s = this.byName.get(name);
    if (!s) return;
    const want = this.quorate(s);
    if (cause === 'initial') return void this.up.set(name, want);
    if (want === this.isUp(name)) {
      this.timers.get(name)?.cancel();
      this.timers.delete(name);
      return;
    }
    const delay =
      cause === 'fork' ? s.fork_delay : cause === 'exit' ? s.terminate_delay : undefined;
    if (delay) {
      if (this.timers.has(name)) return;
      this.timers.set(
        name,
        this.clock.at(this.clock.now() + delay * 1000, () => {
          this.timers.delete(name);
          this.report(name, this.quorate(s));
        }),
      );
      return;
    }
    this.timers.get(name)?.cancel();
    this.timers.delete(name);
    this.report(name, want);
  }

  private report(name: string, up: boolean) {
    if (this.isUp(name) === up) return;
    this.up.set(name, up);
    this.onChange(name, up);
  }
}
