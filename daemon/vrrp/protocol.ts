// The messages between the daemon's main thread and the VRRP worker thread:
// one discriminated union each way, shared by both sides (no casts).
import type { Config } from '../config/model';
import type { LogLevel } from '../core/log';
import type { ReloadPlan } from './reload';
import type { InstanceEvent, InstanceStatus, Transition } from './status';
import type { UnclaimedReason } from './unclaimed';

export interface WorkerLoop {
  /** the latest an advert timer fired after its deadline (always measured: it costs nothing) */
  maxAdvertLagMs: number;
  /** the worker's event-loop delay, sampled only while status is being read */
  p99Ms?: number;
  maxMs?: number;
}

export type ToWorker =
  /** the thread is spawned before the config is read (its start-up overlaps the reading) */
  | { type: 'start'; config: Config }
  | { type: 'status'; id: number }
  /** a reload planned by the main thread; `config` holds only the instances to (re)create */
  | { type: 'reload'; plan: ReloadPlan; config: Config }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'log'; level: LogLevel; msg: string }
  | { type: 'transition'; t: Transition }
  /** MASTER_RX_LOWER_PRI, a change of priority */
  | { type: 'event'; e: InstanceEvent }
  | {
      type: 'status';
      id: number;
      instances: InstanceStatus[];
      loop: WorkerLoop;
      /** packets no instance claims (unclaimed.ts), by reason */
      unclaimed: Record<UnclaimedReason, number>;
    }
  | { type: 'reloaded'; result: ReloadPlan }
  /** a bfd_instance's session went up or down (and each one's state at start and reload): BFD_CHECK */
  | { type: 'bfd'; name: string; up: boolean }
  | { type: 'stopped' }
  /** every instance started (timers armed) at epoch ms `at`: the daemon may tell systemd it is ready */
  | { type: 'ready'; at: number }
  /** the engine could not start (e.g. an interface without an address): the daemon exits 1 */
  | { type: 'fatal'; msg: string };
