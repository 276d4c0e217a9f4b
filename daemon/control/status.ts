// The daemon's status as `keepalive-ts status`, the control socket and the
// metrics endpoint see it: composed from what each subsystem reports.
import type { CheckStats, VirtualServerStatus } from '../check/status';
import type { CheckLatencySeries } from '../check/latency';
import type { InstanceStatus } from '../vrrp/status';
import type { WorkerLoop } from '../vrrp/protocol';
import type { UnclaimedReason } from '../vrrp/unclaimed';
import type { BgpStatus } from '../bgp/loop';

export type { BgpStatus };

export type { InstanceStatus, VirtualServerStatus };

export interface DaemonStatus {
  pid: number;
  config: string;
  startedAt: string;
  reloads: number;
  instances: InstanceStatus[];
  /** VRRP packets no instance claims (too short to name a VRID, or a VRID no instance has), by reason */
  unclaimedDrops?: Record<UnclaimedReason, number>;
  virtualServers: VirtualServerStatus[];
  dataplane?: { backend: string; errors: number };
  /** the VIP's BGP announcement (bgp_announce); absent without the block */
  bgp?: BgpStatus;
  checks?: CheckStats;
  /** probe durations per virtual server and checker type (histogram) */
  checkLatency?: CheckLatencySeries[];
  /** start-up phases, ms after the process started (exec) */
  startup: {
    /** configuration read and checked */
    configMs: number;
    /** every VRRP instance running, its first timer armed (the Master_Down wait starts) */
    vrrpMs?: number;
  };
  /** event-loop delay: sampled only while status is being read (absent on the first read) */
  loop: {
    mainP99Ms?: number;
    mainMaxMs?: number;
    vrrp?: WorkerLoop;
  };
}
