// The dataplane state that follows from the checkers' verdicts: one service
// per virtual server (per entry of its group), holding its live real servers
// with their weights, or the sorry server while the quorum is down.
import {
  expandGroup,
  type Config,
  type GroupTarget,
  type RealServer,
  type VirtualServer,
} from '../config/model';
import { serviceId, type Destination, type Service } from '../dataplane/types';
import { fwmarkFamily, tunOf } from './lvs-service';

/** What the manager knows of a virtual server, as the dataplane needs it. */
export interface VsView {
  cfg: VirtualServer;
  id: string;
  quorumUp: boolean;
  servers: { cfg: RealServer; up: boolean; weight: number }[];
}

/**
 * The dataplane state that follows from the current verdicts. A
 * `virtual_server group` gives one service per address and fwmark of its
 * group; virtual servers sharing a group (same protocol) share its services,
 * each adding its real servers (keepalived: one IPVS service per entry).
 */
export function desiredServices(config: Config, vss: readonly VsView[]): Service[] {
  const out = new Map<string, Service>();
  for (const vs of vss) {
    for (const s of servicesOf(config, vs)) {
      const prev = out.get(s.id);
      if (!prev) {
        out.set(s.id, s);
        continue;
      }
      const key = (d: Destination) => `${d.address}:${d.port}`;
      const have = new Set(prev.destinations.map(key));
      prev.destinations.push(...s.destinations.filter((d) => !have.has(key(d))));
      prev.capacity = (prev.capacity ?? 0) + (s.capacity ?? 0);
    }
  }
  return [...out.values()];
}

/** Where `vs` is served: its address, its fwmark, or every entry of its group. */
function targets(config: Config, vs: VsView): GroupTarget[] {
  const k = vs.cfg.key;
  if (k.kind === 'address') return [{ address: k.address, port: k.port }];
  if (k.kind === 'fwmark') return [{ fwmark: k.fwmark }];
  const g = config.virtual_server_group.find((x) => x.name === k.group);
  return g ? expandGroup(g) : [];
}

export function servicesOf(config: Config, vs: VsView): Service[] {
  const c = vs.cfg;
  const group = c.key.kind === 'group';
  return targets(config, vs).map((t) => {
    const address = 'address' in t ? t.address : undefined;
    const port = 'port' in t ? t.port : 0;
    // keepalived: in a group, DR and TUN real servers take the service's port (0 for a fwmark)
    const rsPort = (p: number, m: string) => (group && m !== 'NAT' ? port : p);
    let destinations: Destination[];
    if (!vs.quorumUp && c.sorry_server) {
      const method = c.sorry_server_lvs_method ?? c.lvs_method;
      destinations = [
        {
          address: c.sorry_server.address,
          port: rsPort(c.sorry_server.port || port, method),
          weight: 1,
          method,
          ...tunOf(method, c.sorry_tun),
        },
      ];
    } else {
      destinations = vs.servers
        .filter((s) => s.up || s.cfg.inhibit_on_failure)
        .map((s) => {
          const method = s.cfg.lvs_method ?? c.lvs_method;
          return {
            address: s.cfg.address,
            port: rsPort(s.cfg.port, method),
            weight: s.up ? s.weight : 0,
            method,
            ...tunOf(method, s.cfg.tun),
            ...(s.cfg.uthreshold ? { uThresh: s.cfg.uthreshold } : {}),
            ...(s.cfg.lthreshold ? { lThresh: s.cfg.lthreshold } : {}),
          };
        });
    }
    const vi = address
      ? config.vrrp_instance.find((v) => v.virtual_ipaddress.some((a) => a.address === address))
      : undefined;
    const vip = vi?.virtual_ipaddress.find((a) => a.address === address);
    // a fwmark has no VIP to find the interface by: the VRRP interface, when there is one
    const ifs = new Set(config.vrrp_instance.flatMap((v) => v.interface ?? []));
    const ingress =
      vip?.dev ?? vi?.interface ?? (!address && ifs.size === 1 ? [...ifs][0] : undefined);
    const protocol = c.protocol ?? 'TCP';
    return {
      id: group ? serviceId(protocol, address, port, 'fwmark' in t ? t.fwmark : undefined) : vs.id,
      protocol,
      ...(address ? { address } : {}),
      port,
      ...('fwmark' in t
        ? { fwmark: t.fwmark, family: fwmarkFamily(c, t, config.virtual_server_group) }
        : {}),
      scheduler: c.lvs_sched,
      method: c.lvs_method,
      persistence: c.persistence_timeout,
      ...(c.ops ? { onePacket: true } : {}),
      ...(c.persistence_granularity ? { persistenceNetmask: c.persistence_granularity } : {}),
      destinations,
      capacity: vs.servers.length,
      ...(ingress ? { ingress, egress: ingress } : {}),
    };
  });
}
