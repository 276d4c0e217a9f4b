// The VRRP version of an instance: its own vrrp_version, else the global one.
// A module of its own with type imports only: the VRRP worker needs this rule
// and nothing else of the config reader (start-up time is preemption time).
import type { Config, VrrpInstance } from './model';

export function instanceVersion(cfg: Config, vi: VrrpInstance): 2 | 3 {
  return (vi.version ?? cfg.global_defs.vrrp_version) as 2 | 3;
}
