// keepalived's strict mode (vrrp_strict / strict_mode, vrrp_complete_instance):
// what a strict instance may not have, and the settings it runs with. Pure.
// Accept mode, the other half of strict mode, is in vrrp/accept-mode.ts.
import type { Config, VrrpInstance } from './model';
import { instanceVersion } from './version';

export const isStrict = (config: Config, vi: VrrpInstance) =>
  vi.strict_mode ?? config.global_defs.vrrp_strict;

export interface StrictIssue {
  level: 'error' | 'warning';
  message: string;
}

/** keepalived's complaints about a strict instance (errors refuse the config). */
export function strictIssues(config: Config, vi: VrrpInstance): StrictIssue[] {
  if (!isStrict(config, vi)) return [];
  const out: StrictIssue[] = [];
  const err = (m: string) =>
    out.push({ level: 'error', message: `vrrp_instance ${vi.name}: ${m}` });
  const warn = (m: string) =>
    out.push({ level: 'warning', message: `vrrp_instance ${vi.name}: ${m}` });
  if (vi.virtual_ipaddress.length === 0) err('no VIP specified; strict mode requires at least one');
  if (vi.unicast_peer.length) err('unicast peers are not supported in strict mode');
  if ((vi.state === 'MASTER') !== (vi.priority === 255))
    warn('strict mode: state MASTER must match being the address owner (priority 255)');
  if (vi.authentication?.auth_type)
    warn('strict mode does not support authentication; ignored (as keepalived)');
  if (vi.preempt_delay) warn('preempt_delay is incompatible with strict mode; reset to 0');
  if (vi.down_timer_adverts !== undefined && vi.down_timer_adverts !== 3)
    warn('down_timer_adverts is incompatible with strict mode; reset to 3');
  if (vi.garp_lower_prio_repeat) warn('strict mode requires no repeat GARPs; reset');
  if (vi.garp_lower_prio_delay) warn('strict mode requires no repeat GARP delay; reset');
  if (vi.lower_prio_no_advert === false) warn('strict mode requires lower_prio_no_advert; set');
  if (vi.higher_prio_send_advert) warn('strict mode requires higher_prio_send_advert clear; reset');
  if (vi.accept && vi.priority !== 255 && instanceVersion(config, vi) === 2)
    warn('accept mode for VRRP version 2 does not comply with RFC 3768; reset');
  if (vi.vmac_xmit_base) warn('vmac_xmit_base cannot be used in strict mode; reset');
  return out;
}

/** The instance as it runs: in strict mode with keepalived's resets applied. */
export function strictInstance(config: Config, vi: VrrpInstance): VrrpInstance {
  if (!isStrict(config, vi)) return vi;
  return {
    ...vi,
    authentication: undefined,
    preempt_delay: 0,
    down_timer_adverts: 3,
    garp_lower_prio_repeat: 0,
    garp_lower_prio_delay: 0,
    lower_prio_no_advert: true,
    higher_prio_send_advert: false,
    vmac_xmit_base: false,
  };
}
