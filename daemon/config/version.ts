// The VRRP version and address family of an instance: IPv6 is always v3,
// else its own version, else the global vrrp_version.
// A module of its own with type imports only: the VRRP worker needs this rule
// and nothing else of the config reader (start-up time is preemption time).
import type { Config, VrrpInstance } from './model';

/** An IPv6 instance always speaks VRRPv3 (keepalived's vrrp_complete_instance). */
export function instanceVersion(cfg: Config, vi: VrrpInstance): 2 | 3 {
  if (instanceFamily(vi) === 6) return 3;
  return (vi.version ?? cfg.global_defs.vrrp_version) as 2 | 3;
}

/**
 * The address family of an instance: IPv6 with native_ipv6, else that of its
 * first address (the reader has dropped VIPs of the other family), else of
 * unicast_src_ip / mcast_src_ip / the first unicast peer, else IPv4.
 */
export function instanceFamily(vi: VrrpInstance): 4 | 6 {
  if (vi.native_ipv6) return 6;
  const a =
    vi.virtual_ipaddress[0]?.address ??
    vi.unicast_src_ip ??
    vi.mcast_src_ip ??
    vi.unicast_peer[0]?.address;
  return a?.includes(':') ? 6 : 4;
}
