// What the announcement decides on (AnnounceInput), built from what the
// daemon knows: its virtual servers as the health checker reports them, its
// trackers and the operator's drain. Pure; the shapes are structural so this
// layer needs nothing of the checker's internals.
import type { WithdrawPolicy } from '../core/bgp-names';
import type { AnnounceInput, ServiceHealth } from './announce';

/** A virtual server as the checkers report it (check/status.ts VirtualServerStatus). */
export interface ServiceView {
  id: string;
  quorumUp: boolean;
  servers: readonly { up: boolean; weight: number }[];
}

export interface TrackerView {
  kind: 'script' | 'interface' | 'file';
  name: string;
  ok: boolean;
}

/**
 * A real server serves when its checks say up and its weight is above 0 (a
 * weight of 0 takes no new flows). A virtual server whose quorum is lost
 * serves nothing from this director: its real servers are out of the
 * dataplane (keepalived's quorum rule; a sorry server is not a reason to
 * attract traffic).
 */
export function serviceHealth(vs: ServiceView): ServiceHealth {
  const serving = vs.servers.filter((s) => s.up && s.weight > 0).length;
  return { name: vs.id, alive: vs.quorumUp ? serving : 0, total: vs.servers.length };
}

export function announceInput(
  services: readonly ServiceView[],
  trackers: readonly TrackerView[],
  drained: boolean | string,
  policy: WithdrawPolicy,
): AnnounceInput {
  return {
    services: services.map(serviceHealth),
    trackers: trackers.map((t) => ({ name: `${t.kind} ${t.name}`, ok: t.ok })),
    drained,
    policy,
  };
}
