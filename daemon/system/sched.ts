// Scheduling of the daemon's threads: keepalived 2.2.7's per-process
// settings (vrrp_*, checker_*, bfd_* in global_defs; lib/process.c) mapped
// onto keepalive-ts's one process with threads.
//
//   keepalived                         keepalive-ts
//   VRRP process                       the VRRP worker thread (daemon/vrrp/worker.ts)
//   BFD process                        the same VRRP worker thread (BFD runs there)
//   checker process                    the main thread (checkers, LVS, control)
//   *_priority (setpriority)           nice of that thread (setpriority on its tid)
//   *_rt_priority (SCHED_RR)           SCHED_RR of that thread (sched_setscheduler on its tid)
//   *_cpu_affinity (sched_setaffinity) sched_setaffinity of that thread (its tid)
//   *_no_swap (mlockall)               mlockall() of the process: any of them locks it all
//   *_rlimit_rttime (RLIMIT_RTTIME)    RLIMIT_RTTIME of the process, set when a thread runs
//                                      SCHED_RR (the kernel counts it per realtime thread);
//                                      one value: the largest of the realtime threads' ones
//   max_auto_priority,                 the VRRP thread steps up to SCHED_RR when one of its
//   min_auto_priority_delay            timers fires late (AutoPriority below)
//
// VRRP and BFD sharing one thread: the stronger setting wins (lower nice,
// higher SCHED_RR priority); for CPU affinity vrrp_cpu_affinity wins over
// bfd_cpu_affinity. bfd_* apply only with bfd_instance blocks, vrrp_* only
// when the VRRP side runs, checker_* only when the checkers run (keepalived
// has no such child otherwise).
import type { Log } from '../core/log';
import { native, type NativeSock } from '../net/native';

/** the global_defs keywords read here (config/keywords/sched.ts; system/ does not import config/) */
export interface Globals {
  vrrp_priority?: number;
  vrrp_rt_priority?: number;
  vrrp_cpu_affinity?: number[];
  vrrp_no_swap: boolean;
  vrrp_rlimit_rttime?: number;
  checker_priority?: number;
  checker_rt_priority?: number;
  checker_cpu_affinity?: number[];
  checker_no_swap: boolean;
  checker_rlimit_rttime?: number;
  bfd_priority?: number;
  bfd_rt_priority?: number;
  bfd_cpu_affinity?: number[];
  bfd_no_swap: boolean;
  bfd_rlimit_rttime?: number;
  max_auto_priority: number;
  min_auto_priority_delay: number;
}

export interface ThreadPlan {
  nice?: number;
  rt?: number;
  cpus?: number[];
}

const defined = (...v: (number | undefined)[]) => v.filter((x): x is number => x !== undefined);
const pick = (f: (...v: number[]) => number, ...v: (number | undefined)[]) => {
  const d = defined(...v);
  return d.length ? f(...d) : undefined;
};

/** the VRRP worker thread: vrrp_* and (with BFD sessions) bfd_*, the stronger wins */
export function vrrpThreadPlan(g: Globals, bfd: boolean): ThreadPlan {
  const plan: ThreadPlan = {
    nice: pick(Math.min, g.vrrp_priority, bfd ? g.bfd_priority : undefined),
    rt: pick(Math.max, g.vrrp_rt_priority, bfd ? g.bfd_rt_priority : undefined),
    cpus: g.vrrp_cpu_affinity ?? (bfd ? g.bfd_cpu_affinity : undefined),
  };
  return clean(plan);
}

/** the main thread: checker_* */
export function mainThreadPlan(g: Globals): ThreadPlan {
  return clean({
    nice: g.checker_priority,
    rt: g.checker_rt_priority,
    cpus: g.checker_cpu_affinity,
  });
}

function clean(p: ThreadPlan): ThreadPlan {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as ThreadPlan;
}

export interface Sides {
  vrrp: boolean;
  checkers: boolean;
  bfd: boolean;
}

/** mlockall: one process, so any side's *_no_swap locks it */
export function lockMemory(g: Globals, s: Sides): boolean {
  return (
    (s.vrrp && g.vrrp_no_swap) || (s.checkers && g.checker_no_swap) || (s.bfd && g.bfd_no_swap)
  );
}

/**
 * RLIMIT_RTTIME (µs) for the threads running SCHED_RR, as keepalived sets it
 * for a realtime process: soft half the value (SIGXCPU, logged), hard the
 * value (SIGKILL: the whole daemon). Undefined when no thread is realtime or
 * no limit is configured (keepalived's 10 ms default is not applied: see
 * config/keywords/sched.ts).
 */
export function rttimeLimit(
  g: Globals,
  rt: { vrrp: boolean; bfd: boolean; checker: boolean },
): { soft: number; hard: number } | undefined {
  const hard = pick(
    Math.max,
    rt.vrrp ? g.vrrp_rlimit_rttime : undefined,
    rt.bfd ? g.bfd_rlimit_rttime : undefined,
    rt.checker ? g.checker_rlimit_rttime : undefined,
  );
  return hard === undefined ? undefined : { soft: Math.floor(hard / 2), hard };
}

/**
 * keepalived's automatic realtime priority (lib/scheduler.c, lib/process.c):
 * when a timer fires more than min_auto_priority_delay µs after it was due,
 * log it, and with max_auto_priority > 0 step up: SCHED_RR priority 1 (the
 * minimum) if not realtime yet, else +1, never past max_auto_priority. A
 * configured *_rt_priority is the starting point (at or above the maximum: no
 * step). max_auto_priority 0 (the default) or -1: no step (-1 only silences the
 * startup notice).
 */
export class AutoPriority {
  constructor(
    private readonly max: number,
    private readonly minDelayUs: number,
    /** the SCHED_RR priority now, 0 when not realtime */
    public current = 0,
  ) {}

  /** a timer fired `lateMs` after it was due: what to log and the priority to set, if any */
  late(lateMs: number): { log: string; priority?: number } | undefined {
    if (lateMs * 1000 <= this.minDelayUs) return undefined;
    const log = `a timer fired ${(lateMs / 1000).toFixed(6)} seconds late`;
    if (this.max <= 0 || (this.current && this.current >= this.max)) return { log };
    this.current = this.current ? this.current + 1 : 1;
    return { log, priority: this.current };
  }
}

type Sched = Pick<NativeSock, 'threadPriority' | 'threadAffinity' | 'mlockall' | 'rlimitRttime'>;

/** Apply a thread's plan on the calling thread; failures are warnings (keepalived logs them too). */
export function applyThread(n: Sched, name: string, p: ThreadPlan, log: Log) {
  const done: string[] = [];
  const attempt = (what: string, f: () => void) => {
    try {
      f();
      done.push(what);
    } catch (e) {
      log('warn', `${name} thread: cannot set ${what}: ${(e as Error).message}`);
    }
  };
  if (p.nice !== undefined || p.rt !== undefined)
    attempt(p.rt ? `SCHED_RR priority ${p.rt}` : `nice ${p.nice}`, () =>
      n.threadPriority(p.nice ?? 0, p.rt ?? 0),
    );
  if (p.cpus) attempt(`CPU affinity ${p.cpus.join(' ')}`, () => n.threadAffinity(p.cpus!));
  return done;
}

export function applyRttime(n: Sched, limit: { soft: number; hard: number } | undefined, log: Log) {
  if (!limit) return;
  try {
    n.rlimitRttime(limit.soft, limit.hard);
    log('info', `RLIMIT_RTTIME ${limit.soft}/${limit.hard} us`);
  } catch (e) {
    log('warn', `cannot set RLIMIT_RTTIME: ${(e as Error).message}`);
  }
}

export function applyNoSwap(n: Sched, log: Log) {
  try {
    n.mlockall();
    log('info', 'locked in memory (mlockall)');
  } catch (e) {
    log('warn', `unable to lock the process in memory: ${(e as Error).message}`);
  }
}

/**
 * The process-wide part, on the main thread at startup: mlockall, the main
 * thread's checker_* settings, RLIMIT_RTTIME for the threads configured
 * realtime (the VRRP thread sets its own priority and affinity), a SIGXCPU
 * logger (its default action would kill the daemon at the soft limit), and
 * keepalived's notice when max_auto_priority is 0.
 */
export function startProcess(g: Globals, s: Sides, log: Log, n: Sched = native()) {
  if (lockMemory(g, s)) applyNoSwap(n, log);
  const main = s.checkers ? mainThreadPlan(g) : {};
  const done = applyThread(n, 'main', main, log);
  if (done.length) log('info', `main thread (checkers): ${done.join(', ')}`);
  const vrrp = s.vrrp ? vrrpThreadPlan(g, s.bfd) : {};
  applyRttime(
    n,
    rttimeLimit(g, {
      vrrp: s.vrrp && g.vrrp_rt_priority !== undefined,
      bfd: s.bfd && g.bfd_rt_priority !== undefined,
      checker: main.rt !== undefined,
    }),
    log,
  );
  if (main.rt || vrrp.rt || (s.vrrp && g.max_auto_priority > 0))
    process.on('SIGXCPU', () =>
      log('warn', 'SIGXCPU: a realtime thread is near its RLIMIT_RTTIME (*_rlimit_rttime)'),
    );
  if (s.vrrp && g.max_auto_priority === 0)
    log(
      'info',
      'NOTICE: setting config option max_auto_priority should result in better keepalive-ts performance',
    );
}
