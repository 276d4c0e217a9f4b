// The plan that turns the current IPVS table into the desired one with the
// fewest commands (never a flush: destinations that stay keep their
// connections and counters). Pure.
import { canonicalIp, netmaskBytes, sameTunnel } from './ipvs-addr';
import { type Command, type IpvsDest, type IpvsService, type ServiceKey } from './ipvs';
import type { Destination, Service } from './types';

export interface IpvsTable {
  service: IpvsService;
  dests: IpvsDest[];
}

// a fwmark names one service per family; addresses as the kernel spells them (IPv6 in brackets)
const keyOf = (s: ServiceKey) =>
  s.fwmark !== undefined
    ? `FWM ${s.fwmark}${s.family === 6 ? ' IPv6' : ''}`
    : `${s.protocol} ${hostPort(s.address!, s.port)}`;
const hostPort = (a: string, port: number) =>
  a.includes(':') ? `[${canonicalIp(a)}]:${port}` : `${a}:${port}`;
const destKey = (d: { address: string; port: number }) => hostPort(d.address, d.port);
/** a persistence mask as IPVS reports it: none for a host mask (dotted IPv4, prefix length IPv6) */
function mask(s: Service): string | undefined {
  const m = s.persistenceNetmask;
  if (m === undefined) return undefined;
  if (s.family === 6 || s.address?.includes(':')) {
    const n = m.replace('/', '');
    return n === '128' ? undefined : n;
  }
  const t = [...netmaskBytes(m)].join('.');
  return t === '255.255.255.255' ? undefined : t;
}

export function toIpvs(s: Service): IpvsTable {
  return {
    service: {
      protocol: s.protocol,
      ...(s.fwmark !== undefined
        ? { fwmark: s.fwmark, ...(s.family === 6 ? { family: 6 as const } : {}) }
        : { address: canonicalIp(s.address!) }),
      port: s.port,
      scheduler: s.scheduler,
      persistence: s.persistence,
      ...(mask(s) ? { netmask: mask(s) } : {}),
      ...(s.onePacket ? { onePacket: true } : {}),
      ...(s.schedFlags ? { schedFlags: s.schedFlags } : {}),
      // keepalived sends the engine with persistence only (ipvswrapper.c ipvs_set_srule)
      ...(s.persistenceEngine && s.persistence > 0 ? { pe: s.persistenceEngine } : {}),
    },
    dests: s.destinations.map((d: Destination) => ({
      address: canonicalIp(d.address),
      port: d.port,
      weight: d.weight,
      method: d.method,
      ...(d.method === 'TUN' ? { tun: d.tun ?? { type: 'ipip' as const } } : {}),
      ...(d.uThresh ? { uThresh: d.uThresh } : {}),
      ...(d.lThresh ? { lThresh: d.lThresh } : {}),
    })),
  };
}

/**
 * Commands that turn `current` into `desired`. Only services in `owned`
 * (ones this daemon created or configures) are ever deleted, so IPVS entries
 * someone else made are left alone.
 */
export function planIpvs(
  current: IpvsTable[],
  desired: IpvsTable[],
  owned: ReadonlySet<string> = new Set(desired.map((d) => keyOf(d.service))),
): Command[] {
  const cmds: Command[] = [];
  const cur = new Map(current.map((t) => [keyOf(t.service), t]));
  const want = new Map(desired.map((t) => [keyOf(t.service), t]));
  for (const [k, t] of cur)
    if (!want.has(k) && owned.has(k)) cmds.push({ cmd: 'DEL_SERVICE', service: t.service });
  for (const [k, t] of want) {
    const c = cur.get(k);
    if (!c) {
      cmds.push({ cmd: 'NEW_SERVICE', service: t.service });
      for (const d of t.dests) cmds.push({ cmd: 'NEW_DEST', service: t.service, dest: d });
      continue;
    }
    if (
      c.service.scheduler !== t.service.scheduler ||
      c.service.persistence !== t.service.persistence ||
      !!c.service.onePacket !== !!t.service.onePacket ||
      (c.service.schedFlags ?? 0) !== (t.service.schedFlags ?? 0) ||
      (c.service.pe ?? '') !== (t.service.pe ?? '') ||
      (c.service.netmask ?? '') !== (t.service.netmask ?? '')
    ) {
      cmds.push({ cmd: 'SET_SERVICE', service: t.service });
    }
    const have = new Map(c.dests.map((d) => [destKey(d), d]));
    const need = new Map(t.dests.map((d) => [destKey(d), d]));
    for (const [dk, d] of have)
      if (!need.has(dk)) cmds.push({ cmd: 'DEL_DEST', service: t.service, dest: d });
    for (const [dk, d] of need) {
      const h = have.get(dk);
      if (!h) cmds.push({ cmd: 'NEW_DEST', service: t.service, dest: d });
      else if (
        h.weight !== d.weight ||
        h.method !== d.method ||
        (h.uThresh ?? 0) !== (d.uThresh ?? 0) ||
        (h.lThresh ?? 0) !== (d.lThresh ?? 0) ||
        (d.method === 'TUN' && !sameTunnel(h.tun, d.tun))
      )
        cmds.push({ cmd: 'SET_DEST', service: t.service, dest: d });
    }
  }
  return cmds;
}

export { keyOf as ipvsKey };
