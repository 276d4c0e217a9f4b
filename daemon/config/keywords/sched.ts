// global_defs: scheduling of the VRRP, checker and BFD sides (keepalived:
// of its three child processes). keepalive-ts is one process: the VRRP
// engine and BFD share the VRRP worker thread, checkers run on the main
// thread; daemon/system/sched.ts says what each keyword does there.
import { availableParallelism } from 'node:os';
import { kw, readInt } from '../schema';

/**
 * `N [N]...`: CPU ids, each in [0, CPUs online - 1] (keepalived reads single
 * ids, no ranges); an invalid one is an error and clears the whole set.
 */
const cpuList = () =>
  kw.custom<number[]>(1, Infinity, (args, stmt, ctx) => {
    const cpus = new Set<number>();
    for (const a of args) {
      const n = readInt(a, 0, availableParallelism() - 1, `${stmt.keyword} cpu_id`, stmt, ctx);
      if (n === undefined) return undefined;
      cpus.add(n);
    }
    return [...cpus].sort((x, y) => x - y);
  });

/**
 * RLIMIT_RTTIME in microseconds, [1, 2^32-1]; 1 reads as 2 (the soft limit
 * is half of it and must not be 0). `*_rlimit_rtime`: keepalived's old spelling.
 * Unlike keepalived (10 ms by default for a realtime process), the limit is set
 * only when configured: the kernel kills the whole daemon at the hard limit,
 * and a JavaScript thread's garbage collection can run longer than 10 ms
 * without blocking, where keepalived's C child would not.
 */
const rttime = (prefix: string) =>
  kw
    .custom<number>(1, 1, ([v], stmt, ctx) => {
      const n = readInt(v, 1, 2 ** 32 - 1, stmt.keyword, stmt, ctx);
      return n === 1 ? 2 : n;
    })
    .alias(`${prefix}_rlimit_rtime`)
    .optional();

export const schedKeywords = {
  /** microseconds a timer may fire late before auto priority steps up (keepalived: 1 s) */
  min_auto_priority_delay: kw.int(1, 10_000_000).default(1_000_000),
  /** mlockall(): any of the three locks the one process */
  vrrp_no_swap: kw.flag(),
  checker_no_swap: kw.flag(),
  bfd_no_swap: kw.flag(),
  vrrp_cpu_affinity: cpuList().optional(),
  checker_cpu_affinity: cpuList().optional(),
  bfd_cpu_affinity: cpuList().optional(),
  vrrp_rlimit_rttime: rttime('vrrp'),
  checker_rlimit_rttime: rttime('checker'),
  bfd_rlimit_rttime: rttime('bfd'),
  /** nice value of the main thread (the checkers' side) */
  checker_priority: kw.int(-20, 19).optional(),
  /** SCHED_RR priority of the main thread */
  checker_rt_priority: kw.int(1, 99).optional(),
  /** BFD runs in the VRRP thread: combined with vrrp_priority, the stronger wins */
  bfd_priority: kw.int(-20, 19).optional(),
  bfd_rt_priority: kw.int(1, 99).optional(),
  /** seconds the VRRP instances wait at startup before they may become MASTER */
  vrrp_startup_delay: kw.number(0.001, 4294).optional(),
  /** log adverts for a VRID no instance on the receiving interface has */
  log_unknown_vrids: kw.flag(),
};
