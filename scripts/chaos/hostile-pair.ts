// The pair the hostile-input tools aim at: three instances on lan0 that
// between them meet every receive check — VRRPv3 over IPv4 and over IPv6 at
// advert_int 0.1 (ten adverts a second, the timing that must hold), and a
// VRRPv2 instance with PASS authentication (auth and interval checks). Valid
// keepalived syntax too, so keepalived runs the same pair. Pure.
import type { Target } from './vrrp-corpus';

export const HOSTILE = {
  v4: { vrid: 51, vips: ['198.51.100.10'] },
  v6: { vrid: 52, vips: ['2001:db8:0:1::10'] },
  v2: { vrid: 53, vips: ['198.51.100.20'], pass: 'hostile1', advertInt: 1 },
} as const satisfies Omit<Target, 'src4' | 'src6' | 'mac'>;

/** the receivers' Master_Down_Interval bound of the 0.1 s instances: 3 * 0.1 s + skew */
export const ADVERT_INT_S = 0.1;

/** The target with the sender's own addresses (the checksums cover them). */
export const hostileTarget = (src4: string, src6: string, mac: Uint8Array): Target => ({
  v4: { ...HOSTILE.v4, vips: [...HOSTILE.v4.vips] },
  v6: { ...HOSTILE.v6, vips: [...HOSTILE.v6.vips] },
  v2: { ...HOSTILE.v2, vips: [...HOSTILE.v2.vips] },
  src4,
  src6,
  mac,
});

export function hostileConf(priority: number, ifname = 'lan0'): string {
  const inst = (name: string, body: string) =>
    `vrrp_instance ${name} {\n  state BACKUP\n  interface ${ifname}\n  priority ${priority}\n${body}}\n`;
  return (
    `global_defs {\n  router_id hostile\n  vrrp_version 3\n}\n` +
    inst(
      'V4',
      `  virtual_router_id ${HOSTILE.v4.vrid}\n  advert_int ${ADVERT_INT_S}\n  virtual_ipaddress {\n    ${HOSTILE.v4.vips[0]}/24\n  }\n`,
    ) +
    inst(
      'V6',
      `  virtual_router_id ${HOSTILE.v6.vrid}\n  advert_int ${ADVERT_INT_S}\n  virtual_ipaddress {\n    ${HOSTILE.v6.vips[0]}/64\n  }\n`,
    ) +
    inst(
      'V2',
      `  version 2\n  virtual_router_id ${HOSTILE.v2.vrid}\n  advert_int ${HOSTILE.v2.advertInt}\n` +
        `  authentication {\n    auth_type PASS\n    auth_pass ${HOSTILE.v2.pass}\n  }\n` +
        `  virtual_ipaddress {\n    ${HOSTILE.v2.vips[0]}/24\n  }\n`,
    )
  );
}
