// lvs_backend auto|ipvs|nftables: auto takes IPVS when the kernel has it.
import { existsSync } from 'node:fs';
import { IpvsDataplane } from './ipvs-backend';
import { NftDataplane } from './nft-backend';
import type { Dataplane } from './types';

export function kernelHasIpvs(): boolean {
  return existsSync('/proc/net/ip_vs');
}

export function selectDataplane(
  choice: 'auto' | 'ipvs' | 'nftables',
  log: (l: 'info' | 'warn' | 'error', m: string) => void,
): Dataplane {
  const ipvs = kernelHasIpvs();
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
