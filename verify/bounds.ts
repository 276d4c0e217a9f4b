// What the configuration promises, in seconds: the bounds each verification
// step is judged against. Pure; derived from the declaration (ClusterSpec),
// with the VRRP timers of RFC 3768 / RFC 5798 and the checker timings
// keepalived uses.
import type { ClusterSpec } from '../components/spec';
import { directorViews } from '../components/spec';
import { detectionBoundS } from '../daemon/check/verdict';
// the daemon's own RFC timing functions: the verifier judges by the rules the daemon runs by
import { masterDownInterval, skewTime } from '../daemon/vrrp/fsm';

/** Allowances the protocol does not define, named so the report can say what they cover. */
export const SLACK = {
  /** a master that is told to stop sends its priority-0 advert within this */
  stop: 0.25,
  /** a restarted daemon is up and listening within this */
  start: 2,
  /** a VRRP decision (timer fired, advert heard) puts the VIP on the interface within this */
  takeover: 0.25,
  /** a health-check verdict reaches the dataplane within this */
  apply: 1,
  /** clients re-learn the VIP's MAC (gratuitous ARP) and a probe notices within this */
  client: 0.5,
};

/** Worst case from a real server's failure to its removal: the checker's own detection bound. */
export function checkerRemovalBound(check: {
  delayLoop: number;
  connectTimeout: number;
  retry: number;
  delayBeforeRetry: number;
}): number {
  return detectionBoundS(check) + SLACK.apply;
}

/** Worst case from a real server's recovery to its return: one delay_loop and one check. */
export function checkerReturnBound(check: { delayLoop: number; connectTimeout: number }): number {
  return check.delayLoop + check.connectTimeout + SLACK.apply;
}

export interface Bounds {
  /** clean stop of the master: the backup holds the VIP within */
  cleanMove: number;
  /** link down on the master: the backup holds the VIP within */
  hardMove: number;
  /** client-visible outage for each of those */
  cleanOutage: number;
  hardOutage: number;
  /** restarted master is master again within (preemption), from the restart */
  preempt: number;
  /** the same from the restarted daemon's first VRRP state (start-up measured apart) */
  preemptAfterStart: number;
  rsOut: number;
  rsBack: number;
  /** how the numbers were derived, for the report */
  basis: Record<string, number>;
}

/** The master (highest priority) and the best backup, as the suite renders them. */
export function pairRoles(c: ClusterSpec) {
  const views = directorViews(c);
  const byPrio = [...views].sort((a, b) => b.priority - a.priority);
  return {
    master: byPrio[0].director.name,
    backup: byPrio[1].director.name,
    masterPriority: byPrio[0].priority,
    backupPriority: byPrio[1].priority,
  };
}

export function deriveBounds(c: ClusterSpec): Bounds {
  const { masterPriority, backupPriority } = pairRoles(c);
  const v = c.vrrpVersion;
  const adv = c.advertInt;
  const skew = skewTime(v, backupPriority, adv);
  const mdiBackup = masterDownInterval(v, backupPriority, adv);
  const mdiMaster = masterDownInterval(v, masterPriority, adv);
  const check = c.services[0].check;
  const timings = {
    delayLoop: check.delayLoop,
    connectTimeout: check.connectTimeout,
    retry: check.retry,
    delayBeforeRetry: check.delayBeforeRetry,
  };
  const cleanMove = skew + SLACK.stop;
  // link down: the backup hears nothing and waits Master_Down_Interval
  const hardMove = mdiBackup + SLACK.stop;
  return {
    cleanMove,
    hardMove,
    cleanOutage: cleanMove + SLACK.client,
    hardOutage: hardMove + SLACK.client,
    // a restarted master starts as backup, hears the lower priority and takes over after its own Master_Down_Interval
    preempt: mdiMaster + SLACK.start,
    preemptAfterStart: mdiMaster + SLACK.takeover,
    rsOut: checkerRemovalBound(timings),
    rsBack: checkerReturnBound(timings),
    basis: {
      skewTimeBackup: skew,
      masterDownIntervalBackup: mdiBackup,
      masterDownIntervalMaster: mdiMaster,
      ...timings,
    },
  };
}
