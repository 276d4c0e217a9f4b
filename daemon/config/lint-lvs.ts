// Checks of the LVS knobs that depend on the dataplane backend or on other
// blocks: what a backend cannot do is refused at config-test time when
// lvs_backend names it (with auto it is known at start only, and the
// backend then refuses the service with the same reason).
import { familyOf } from '../core/address';
import type { Diagnostics } from './diagnostics';
import type { Config } from './model';

export function lintLvs(cfg: Config, diag: Diagnostics) {
  const g = cfg.global_defs;
  for (const vs of cfg.virtual_server) {
    const pe = vs.persistence_engine;
    if (pe === undefined) continue;
    if (g.lvs_backend === 'nftables')
      diag.error(
        vs.at,
        `virtual_server: persistence_engine ${pe}: not supported by the nftables backend (it has no SIP persistence engine); use lvs_backend ipvs`,
      );
    else if (pe !== 'sip')
      diag.warn(vs.at, `virtual_server: persistence_engine ${pe}: the kernel has only 'sip'`);
    if (!vs.persistence_timeout)
      diag.warn(
        vs.at,
        `virtual_server: persistence_engine ${pe} without persistence_timeout has no effect (as keepalived)`,
      );
  }
  if (g.nftables_ipvs)
    for (const grp of cfg.virtual_server_group)
      if (grp.entries.some((e) => e.kind === 'range' && familyOf(e.first) === 6))
        diag.error(
          grp.at,
          `virtual_server_group ${grp.name}: nftables_ipvs marks IPv4 address ranges only in keepalive-ts; IPv6 ranges are not supported with it`,
        );
}
