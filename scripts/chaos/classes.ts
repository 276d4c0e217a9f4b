// The chaos soak's fault classes: what each does, how long it may hold, and
// the client outage it is allowed, with the reason. Pure. Every bound is
// built from verify/bounds.ts (the RFC timers and checker timings the
// verifier judges by), never from a formula of its own.
import type { Bounds } from '../../verify/bounds';

export const FAULT_CLASSES = [
  'kill',
  'stop',
  'flap',
  'partition-lan0',
  'partition-lan1',
  'cpu',
  'rs-death',
  'hup-storm',
  'bad-reload',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/**
 * How a class's outage is measured over the probe timeline of its window:
 * - run: the longest stretch of consecutive failed probes (a director fault
 *   cuts every connection; a kill of the master has two short ones, the
 *   takeover and the preemption back, judged each on its own)
 * - span: from the first failed probe to the first success after the last
 *   one (a dead real server fails only the connections hashed to it)
 */
export type OutageMeasure = 'run' | 'span';

export interface ClassInfo {
  /** what the fault does */
  what: string;
  /** the fault holds for a time drawn from [min, max] ms before it is healed */
  holdMs: [number, number];
  /** the time the pair may need after the heal to be back where it was (ms, for the schedule) */
  settleMs: number;
  /** who it hits */
  targets: readonly string[];
  measure: OutageMeasure;
  /** allowed client outage in seconds, and why */
  bound: (b: Bounds) => { s: number; why: string };
}

const DIRECTORS = ['d1', 'd2'] as const;
const none = (why: string) => () => ({ s: 0, why });
/** a lost master: the backup waits its Master_Down_Interval, then clients follow its GARP */
const takeover = (b: Bounds) => ({
  s: b.hardOutage,
  why: `hardOutage ${b.hardOutage.toFixed(2)} s = Master_Down_Interval ${b.basis.masterDownIntervalBackup.toFixed(2)} + stop + client slack (verify/bounds.ts)`,
});

export const CLASSES: Record<FaultClass, ClassInfo> = {
  kill: {
    what: 'SIGKILL of a director daemon (every process, as a crash); restarted 100 ms later (systemd Restart=on-failure, RestartSec default)',
    holdMs: [100, 100],
    // backup's takeover, restart, the master's own Master_Down_Interval to preempt back
    settleMs: 12_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: takeover,
  },
  stop: {
    what: 'SIGSTOP of a director daemon for 0.1-10 s, then SIGCONT',
    holdMs: [100, 10_000],
    settleMs: 6_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: takeover,
  },
  flap: {
    what: "a director's lan0 down for 0.2-6 s, then up",
    holdMs: [200, 6_000],
    settleMs: 8_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: takeover,
  },
  'partition-lan0': {
    what: 'the directors cut from each other on segment 0 (198.51.100.0/24), then healed',
    holdMs: [1_000, 8_000],
    settleMs: 3_000,
    targets: ['d1-d2'],
    measure: 'run',
    bound: none(
      'no outage: heartbeat_path carries the adverts on the other segment, so no takeover happens',
    ),
  },
  'partition-lan1': {
    what: 'the directors cut from each other on segment 1 (203.0.113.0/24), then healed',
    holdMs: [1_000, 8_000],
    settleMs: 3_000,
    targets: ['d1-d2'],
    measure: 'run',
    bound: none('no outage: lan0 still carries the adverts and the client traffic'),
  },
  cpu: {
    what: 'a director daemon held to 5% of one CPU (cgroup cpu quota) for 5-15 s',
    holdMs: [5_000, 15_000],
    settleMs: 2_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: none(
      'no outage: the daemon needs ~1.5% CPU, a throttled period delays adverts by < 0.1 s, far inside Master_Down_Interval; forwarding is in the kernel',
    ),
  },
  'rs-death': {
    what: "a real server's HTTP service killed, restarted after the checker's removal bound + 2 s",
    holdMs: [0, 0],
    settleMs: 6_000,
    targets: ['rs1', 'rs2'],
    measure: 'span',
    bound: (b) => ({
      s: b.rsOut,
      why: `rsOut ${b.rsOut.toFixed(2)} s = the checker's detection (delay_loop + (retry+1) x connect_timeout + retry x delay_before_retry) + apply slack (verify/bounds.ts); only connections hashed to the dead server fail`,
    }),
  },
  'hup-storm': {
    what: 'SIGHUP to a director daemon 10 times a second for 5 s (50 hitless reloads)',
    holdMs: [5_000, 5_000],
    settleMs: 1_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: none('no outage: a reload of an unchanged config keeps state and VIPs'),
  },
  'bad-reload': {
    what: 'an invalid config (priority 999) put in place and SIGHUP: the daemon must reject it and keep running; the good config is then restored',
    holdMs: [1_000, 1_000],
    settleMs: 1_000,
    targets: DIRECTORS,
    measure: 'run',
    bound: none('no outage: a rejected reload changes nothing'),
  },
};

/** How long the real-server fault holds: past the checker's removal bound, so it is seen removed. */
export const rsDeathHoldMs = (b: Bounds) => Math.ceil((b.rsOut + 2) * 1000);
