// The dataplane services that follow from the health verdicts: one per
// virtual server address or fwmark, one per address of a
// virtual_server_group (or, with global_defs nftables_ipvs, one fwmark
// service per group and protocol), each with its live destinations, the
// sorry server when quorum is lost. Pure: the manager passes its verdicts in.
import {
  expandGroup,
  schedFlagBits,
  type Config,
  type GroupTarget,
  type RealServer,
  type VirtualServer,
} from '../config/model';
import { serviceId, type AddressRange, type Destination, type Service } from '../dataplane/types';
import { fwmarkFamily, tunOf } from './lvs-service';

/** One virtual server as the manager sees it now. */
export interface VsView {
  cfg: VirtualServer;
  id: string;
  quorumUp: boolean;
  servers: { cfg: RealServer; up: boolean; weight: number }[];
}

/**
 * nftables_ipvs: the fwmark of each group and protocol, handed out from
 * nftables_ipvs_start_fwmark in config order (keepalived: check_nftables.c
 * set_vs_fwmark, one per group and protocol; a group with fwmark entries
 * keeps its per-address services).
 */
export function autoFwmarks(config: Config): Map<string, number> {
  const out = new Map<string, number>();
  const g = config.global_defs;
  if (!g.nftables_ipvs) return out;
  let next = g.nftables_ipvs_start_fwmark;
  for (const vs of config.virtual_server) {
    if (vs.key.kind !== 'group') continue;
    const name = vs.key.group;
    const group = config.virtual_server_group.find((x) => x.name === name);
    if (!group || !group.entries.some((e) => e.kind === 'range')) continue;
    if (group.entries.some((e) => e.kind === 'fwmark')) continue;
    const key = `${name}/${vs.protocol ?? 'TCP'}`;
    if (!out.has(key)) out.set(key, next++);
  }
  return out;
}

type Target = GroupTarget | { fwmark: number; ranges: AddressRange[] };

/** Where `vs` is served: its address, its fwmark, every entry of its group, or the group's auto fwmark. */
function targets(config: Config, vs: VirtualServer, marks: Map<string, number>): Target[] {
  const k = vs.key;
  if (k.kind === 'address') return [{ address: k.address, port: k.port }];
  if (k.kind === 'fwmark') return [{ fwmark: k.fwmark }];
  const g = config.virtual_server_group.find((x) => x.name === k.group);
  if (!g) return [];
  const mark = marks.get(`${k.group}/${vs.protocol ?? 'TCP'}`);
  if (mark === undefined) return expandGroup(g);
  const ranges = g.entries.flatMap((e) =>
    e.kind === 'range' ? [{ first: e.first, last: e.last, port: e.port }] : [],
  );
  return [{ fwmark: mark, ranges }];
}

export function servicesOf(
  config: Config,
  vs: VsView,
  marks: Map<string, number> = autoFwmarks(config),
): Service[] {
  const c = vs.cfg;
  const group = c.key.kind === 'group';
  const g = config.global_defs;
  return targets(config, c, marks).map((t) => {
    const address = 'address' in t ? t.address : undefined;
    const port = 'port' in t ? t.port : 0;
    // keepalived: in a group, DR and TUN real servers take the service's port (0 for a fwmark)
    const rsPort = (p: number, m: string) => (group && m !== 'NAT' ? port : p);
    const ranges = 'ranges' in t ? t.ranges : undefined;
    const sorryMethod = c.sorry_server_lvs_method ?? c.lvs_method;
    const sorry = c.sorry_server
      ? {
          address: c.sorry_server.address,
          port: rsPort(c.sorry_server.port || port, sorryMethod),
          method: sorryMethod,
          ...tunOf(sorryMethod, c.sorry_tun),
        }
      : undefined;
    const dests = new Map<string, Destination>();
    const add = (d: Destination) => dests.set(`${d.address}:${d.port}`, d);
    // keepalived (ipwrapper.c): with quorum lost and a sorry server, the live real
    // servers leave (those with inhibit_on_failure stay at weight 0) and the sorry
    // server serves alone
    const sorryServes = !vs.quorumUp && !!sorry;
    for (const s of vs.servers) {
      const inhibit = !!s.cfg.inhibit_on_failure;
      if (!(s.up && !sorryServes) && !inhibit) continue;
      const method = s.cfg.lvs_method ?? c.lvs_method;
      const live = s.up && !sorryServes;
      add({
        address: s.cfg.address,
        port: rsPort(s.cfg.port, method),
        weight: live ? s.weight : 0,
        method,
        ...tunOf(method, s.cfg.tun),
        ...(s.cfg.uthreshold ? { uThresh: s.cfg.uthreshold } : {}),
        ...(s.cfg.lthreshold ? { lThresh: s.cfg.lthreshold } : {}),
        ...(live ? {} : { baseWeight: s.weight }),
      });
    }
    // sorry_server_inhibit: the sorry server stays in the table at weight 0 while
    // quorum is up (keepalived: inhibit_on_failure for the sorry server)
    if (sorry && sorryServes) add({ ...sorry, weight: 1 });
    else if (sorry && c.sorry_server_inhibit && !dests.has(`${sorry.address}:${sorry.port}`))
      add({ ...sorry, weight: 0 });
    const vi = address
      ? config.vrrp_instance.find((v) => v.virtual_ipaddress.some((a) => a.address === address))
      : undefined;
    const vip = vi?.virtual_ipaddress.find((a) => a.address === address);
    // a fwmark has no VIP to find the interface by: the VRRP interface, when there is one
    const ifs = new Set(config.vrrp_instance.flatMap((v) => v.interface ?? []));
    // active-active (no VRRP instance): the one interface bgp_announce tracks is where the VIP's traffic arrives
    const announced = config.bgp_announce?.track_interface ?? [];
    const ingress =
      vip?.dev ??
      vi?.interface ??
      (!address && ifs.size === 1 ? [...ifs][0] : undefined) ??
      (!vi && announced.length === 1 ? announced[0].name : undefined);
    const protocol = c.protocol ?? 'TCP';
    const flags = schedFlagBits(c);
    return {
      id: group ? serviceId(protocol, address, port, 'fwmark' in t ? t.fwmark : undefined) : vs.id,
      protocol,
      ...(address ? { address } : {}),
      port,
      ...('fwmark' in t
        ? {
            fwmark: t.fwmark,
            family: fwmarkFamily(
              c,
              'ranges' in t ? { fwmark: t.fwmark } : t,
              config.virtual_server_group,
            ),
          }
        : {}),
      scheduler: c.lvs_sched,
      method: c.lvs_method,
      persistence: c.persistence_timeout,
      ...(c.ops ? { onePacket: true } : {}),
      ...(flags ? { schedFlags: flags } : {}),
      ...(c.persistence_engine ? { persistenceEngine: c.persistence_engine } : {}),
      ...(c.persistence_granularity ? { persistenceNetmask: c.persistence_granularity } : {}),
      ...(ranges && g.nftables_ipvs
        ? { marked: { table: g.nftables_ipvs, priority: g.nftables_ipvs_priority, ranges } }
        : {}),
      destinations: [...dests.values()],
      capacity: vs.servers.length,
      ...(ingress ? { ingress, egress: ingress } : {}),
    };
  });
}

/**
 * Every service: virtual servers sharing a group (same protocol) share its
 * services, each adding its real servers (keepalived: one IPVS service per entry).
 */
export function desiredServices(config: Config, vss: readonly VsView[]): Service[] {
  const marks = autoFwmarks(config);
  const out = new Map<string, Service>();
  for (const vs of vss) {
    for (const s of servicesOf(config, vs, marks)) {
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
