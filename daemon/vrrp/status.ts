// What the VRRP side reports: transitions as they happen and each instance's
// status on request. Plain data: it crosses the worker-thread boundary.
import type { Cause, State } from './fsm';
import type { DropReason } from './receive';
import type { Tracker, TrackerKind } from './track';

export interface Transition {
  instance: string;
  from: State;
  to: State;
  cause: Cause;
  priority: number;
  /** ms, engine clock */
  at: number;
  wallTime: number;
}

/**
 * What an instance reports besides transitions (keepalived's notify events):
 * a master heard a lower priority (MASTER_RX_LOWER_PRI), or its effective
 * priority changed (MASTER_PRIORITY / BACKUP_PRIORITY, by the state it was in).
 */
export type InstanceEvent =
  | {
      kind: 'master_rx_lower_pri';
      instance: string;
      priority: number;
      from: string;
      theirs: number;
    }
  | { kind: 'priority'; instance: string; state: State; priority: number; previous: number };

export interface InstanceCounters {
  advertsSent: number;
  advertsReceived: number;
  drops: Record<DropReason, number>;
  lateAdverts: number;
  masterDownFired: number;
  transitions: number;
  lowerPriorityMasterSeen: number;
  /** adverts from another router while this one is master (dual master) */
  otherMasterSeen: number;
  addressMismatch: number;
}

export interface PathStatus {
  name: string;
  rx: number;
  lastRxAgoMs: number | null;
  /** an advert heard within three master advert intervals */
  up: boolean;
}

export interface FencingStatus {
  runs: number;
  failures: number;
  last?: { ok: boolean; wallTime: number };
}

export interface InstanceStatus {
  name: string;
  state: State;
  vrid: number;
  interface: string;
  version: 2 | 3;
  priority: number;
  configuredPriority: number;
  master?: string;
  masterPriority?: number;
  vips: string[];
  lastTransition?: { from: State; to: State; cause: Cause; wallTime: number };
  counters: InstanceCounters;
  trackers: {
    name: string;
    kind: TrackerKind;
    ok: boolean;
    weight: number;
    reverse?: boolean;
    /** a track file's number */
    value?: number;
    /** the sync group the tracker comes from */
    group?: string;
  }[];
  /** heartbeat paths: the instance's interface and any heartbeat_path */
  paths: PathStatus[];
  fencing: FencingStatus;
}

/** A tracker as status shows it. */
export const trackerStatus = (t: Tracker) => ({
  name: t.name,
  kind: t.kind,
  ok: t.ok,
  weight: t.weight,
  ...(t.reverse ? { reverse: true } : {}),
  ...(t.value !== undefined ? { value: t.value } : {}),
  ...(t.group ? { group: t.group } : {}),
});

/** The last transition as status shows it (when there was one). */
export const lastTransitionStatus = (last?: Transition) =>
  last
    ? {
        lastTransition: {
          from: last.from,
          to: last.to,
          cause: last.cause,
          wallTime: last.wallTime,
        },
      }
    : {};
