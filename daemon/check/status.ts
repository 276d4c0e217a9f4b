// What health checking reports: real-server events as they happen and the
// state of every virtual and real server on request.

import type { CheckerType } from '../config/model';

export interface RealServerEvent {
  vs: string;
  rs: string;
  up: boolean;
  reason: string;
  /** the checker whose result changed the real server's state */
  checker?: CheckerType;
  at: number;
  wallTime: number;
}

export interface RealServerStatus {
  address: string;
  port: number;
  up: boolean;
  weight: number;
  inService: boolean;
  sinceMs: number;
  checks: { type: string; up: boolean; lastResult?: string }[];
}

export interface VirtualServerStatus {
  id: string;
  quorumUp: boolean;
  sorry: boolean;
  servers: RealServerStatus[];
}

/** counters for status/metrics: checks run, dataplane applies and how long they took */
export interface CheckStats {
  checks: number;
  applies: number;
  lastApplyMs: number;
  maxApplyMs: number;
  applyErrors: number;
}

/** The outcome of one probe. */
export interface ProbeResult {
  ok: boolean;
  reason?: string;
  /** MISC_CHECK misc_dynamic weight */
  weight?: number;
  exitCode?: number;
  /** MISC_CHECK: the script ran past misc_timeout and was killed */
  timedOut?: boolean;
}
