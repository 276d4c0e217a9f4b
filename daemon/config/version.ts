// The address family and VRRP version of an instance. A module of its own
// with type imports only: the VRRP worker needs these rules and nothing else
// of the config reader (start-up time is preemption time).
import type { Config, VrrpInstance } from './model';

const familyOf = (ip: string | undefined): 4 | 6 | undefined =>
  ip === undefined ? undefined : ip.includes(':') ? 6 : 4;

/**
 * keepalived: the family of the first virtual_ipaddress, else of the
 * unicast addresses; IPv4 when nothing says (`native_ipv6` is deprecated in
 * favour of the addresses themselves).
 */
export function instanceFamily(vi: VrrpInstance): 4 | 6 {
  return (
    familyOf(vi.virtual_ipaddress[0]?.address) ??
    familyOf(vi.unicast_src_ip) ??
    familyOf(vi.unicast_peer[0]?.address) ??
    4
  );
}

/** Its own vrrp_version, else the global one; VRRP over IPv6 is version 3 only. */
export function instanceVersion(cfg: Config, vi: VrrpInstance): 2 | 3 {
  if (instanceFamily(vi) === 6) return 3;
  return (vi.version ?? cfg.global_defs.vrrp_version) as 2 | 3;
}
