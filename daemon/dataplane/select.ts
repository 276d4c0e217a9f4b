// lvs_backend auto|ipvs|nftables: auto takes IPVS when the kernel has it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { IpvsDataplane } from './ipvs-backend';
import { NftDataplane } from './nft-backend';
import type { Dataplane } from './types';
import type { Log } from '../core/log';

export function kernelHasIpvs(): boolean {
  return existsSync('/proc/net/ip_vs');
}

/** Like keepalived: load ip_vs when the kernel ships it as a module that is not loaded yet. */
function loadIpvsModule(log: Log): boolean {
  try {
    execFileSync('modprobe', ['-q', 'ip_vs'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    return false;
  }
  const ok = kernelHasIpvs();
  if (ok) log('info', 'dataplane: loaded the ip_vs module');
  return ok;
}

export function selectDataplane(choice: 'auto' | 'ipvs' | 'nftables', log: Log): Dataplane {
  const ipvs = kernelHasIpvs() || (choice !== 'nftables' && loadIpvsModule(log));
  if (choice === 'ipvs' && !ipvs) {
    throw new Error(
      'lvs_backend ipvs: this kernel has no IPVS (no /proc/net/ip_vs); use lvs_backend nftables or auto',
    );
  }
  if (choice === 'ipvs' || (choice === 'auto' && ipvs)) {
    log('info', `dataplane: IPVS${choice === 'auto' ? ' (auto: the kernel has it)' : ''}`);
    return new IpvsDataplane(log);
  }
  log('info', `dataplane: nftables${choice === 'auto' ? ' (auto: the kernel has no IPVS)' : ''}`);
  return new NftDataplane(log);
}
