// What a virtual server's configuration says about its dataplane services
// beyond the live real servers: the family of a fwmark service and the
// tunnel of a TUN destination. Pure.
import type { GroupTarget, VirtualServer, VsGroup } from '../config/model';
import { familyOf } from '../core/address';
import type { Tunnel } from '../dataplane/types';

/**
 * A fwmark service's family, as keepalived's ipvs_group_cmd picks it: the
 * group entry's own (`fwmark N inet6`), else the virtual server's (ip_family,
 * its non-tunnelled real servers, a group of one family), else IPv4.
 */
export function fwmarkFamily(vs: VirtualServer, t: GroupTarget, groups: VsGroup[]): 4 | 6 {
  if ('family' in t && t.family) return t.family === 'inet6' ? 6 : 4;
  if (vs.family) return vs.family;
  if (vs.ip_family) return vs.ip_family === 'inet6' ? 6 : 4;
  const rs = vs.real_server.find((r) => (r.lvs_method ?? vs.lvs_method) !== 'TUN');
  const f = rs && familyOf(rs.address);
  if (f) return f;
  const k = vs.key;
  const group = k.kind === 'group' ? groups.find((g) => g.name === k.group) : undefined;
  const fams = new Set(
    (group?.entries ?? []).flatMap((e) =>
      e.kind === 'range' ? [familyOf(e.first)] : e.family ? [e.family === 'inet6' ? 6 : 4] : [],
    ),
  );
  return fams.size === 1 && fams.has(6) ? 6 : 4;
}

/** The tunnel of a destination: only TUN has one (absent = ipip). */
export const tunOf = (method: string, tun: Tunnel | undefined) =>
  method === 'TUN' && tun ? { tun } : {};
