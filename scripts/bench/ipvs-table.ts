// The 2,000-destination IPVS table of the load-balancer benchmark and the VM
// tier's scale test: 20 NAT services on VIP:8000-8019, 100 destinations each
// (two real-server addresses, 50 ports a service), wrr.
import type { Service } from '../../daemon/dataplane/types';

export const TABLE_VIP = '203.0.113.10';

export function ipvsScaleTable(weightOf: (v: number, r: number) => number): Service[] {
  return Array.from({ length: 20 }, (_, v) => ({
    id: `TCP ${TABLE_VIP}:${8000 + v}`,
    protocol: 'TCP' as const,
    address: TABLE_VIP,
    port: 8000 + v,
    scheduler: 'wrr',
    method: 'NAT' as const,
    persistence: 0,
    destinations: Array.from({ length: 100 }, (_, r) => ({
      address: `198.51.100.${21 + (r % 2)}`,
      port: 10000 + v * 50 + Math.floor(r / 2),
      weight: weightOf(v, r),
      method: 'NAT' as const,
    })),
  }));
}
