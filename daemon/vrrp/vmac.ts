// An instance's VRRP virtual MACs with keepalived 2.2.7's meaning (use_vmac,
// vmac_xmit_base, use_vmac_addr, a VIP's use_vmac): which macvlans it makes,
// their names and MACs, which interface each VIP goes on and which one
// carries the adverts (planned purely), and making and removing them.
import type { Config, VirtualAddress, VrrpInstance } from '../config/model';
import { instanceFamily } from '../config/version';
import type { NetIO, VmacSpec } from '../net/io';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), or the one use_vmac names (5 octets: VRID last). */
export function vmacAddress(cfg: VrrpInstance, family: 4 | 6): string {
  const given = cfg.use_vmac?.mac;
  const octets = given
    ? given.length === 5
      ? [...given, cfg.virtual_router_id!]
      : given
    : [0, 0, 0x5e, 0, family === 4 ? 1 : 2, cfg.virtual_router_id!];
  return octets.map(hex2).join(':');
}

/** a truncated prefix keeps the name within IFNAMSIZ - 1 (keepalived's create_vmac_name) */
const fit = (prefix: string, tail: string) => prefix.slice(0, 15 - tail.length) + tail;

/**
 * Generated names as keepalived's create_vmac_name: PREFIX.VRID, then for
 * IPv4 PREFIX1.VRID, PREFIX2.VRID...; for IPv6 PREFIX6.VRID first, then
 * PREFIX1.VRID... skipping 6. `taken`: the names already given.
 */
export function generateName(prefix: string, vrid: number, family: 4 | 6, taken: Set<string>) {
  let name = fit(prefix, `.${vrid}`);
  let num = 0;
  while (taken.has(name)) {
    if (family === 6) num = num === 0 ? 6 : num === 6 ? 1 : num + 1 === 6 ? 7 : num + 1;
    else num++;
    name = fit(prefix, `${num}.${vrid}`);
  }
  taken.add(name);
  return name;
}

const familyOf = (a: string): 4 | 6 => (a.includes(':') ? 6 : 4);

interface AddrNeed {
  base: string;
  family: 4 | 6;
}

/** The VIPs/eVIPs of `cfg` and where each goes: the instance's vmac, its interface or dev, or an address vmac. */
function placeAddresses(cfg: VrrpInstance, family: 4 | 6) {
  const ifname = cfg.interface!;
  const out: { v: VirtualAddress; own: boolean; addr?: AddrNeed }[] = [];
  for (const v of [...cfg.virtual_ipaddress, ...cfg.virtual_ipaddress_excluded]) {
    const f = familyOf(v.address);
    const sameIf = !v.dev || v.dev === ifname;
    if (sameIf && cfg.use_vmac && f === family) {
      out.push({ v, own: true });
      continue;
    }
    // keepalived: use_vmac_addr covers other interfaces and the other family; a VIP's use_vmac any of them
    const wants = v.use_vmac || (cfg.use_vmac_addr && (!sameIf || f !== family));
    out.push({ v, own: false, ...(wants ? { addr: { base: v.dev ?? ifname, family: f } } : {}) });
  }
  return out;
}

/** The names of every instance's vmacs in config order, as keepalived assigns them (memoised per config). */
const namesCache = new WeakMap<Config, Map<string, { own?: string; addr: Map<string, string> }>>();
function vmacNames(config: Config) {
  let names = namesCache.get(config);
  if (names) return names;
  names = new Map();
  const g = config.global_defs;
  const prefix = g.vmac_prefix ?? 'vrrp';
  const addrPrefix = g.vmac_addr_prefix ?? prefix;
  const taken = new Set(config.vrrp_instance.flatMap((vi) => vi.use_vmac?.name ?? []));
  for (const vi of config.vrrp_instance) {
    const fam = instanceFamily(vi);
    const places = placeAddresses(vi, fam);
    if (!vi.use_vmac && !places.some((p) => p.addr)) continue;
    const vrid = vi.virtual_router_id!;
    const own = vi.use_vmac
      ? (vi.use_vmac.name ?? generateName(prefix, vrid, fam, taken))
      : undefined;
    const addr = new Map<string, string>();
    for (const p of places)
      if (p.addr && !addr.has(key(p.addr)))
        addr.set(key(p.addr), generateName(addrPrefix, vrid, p.addr.family, taken));
    names.set(vi.name, { ...(own ? { own } : {}), addr });
  }
  namesCache.set(config, names);
  return names;
}
const key = (a: AddrNeed) => `${a.base}/${a.family}`;

export interface VmacPlan {
  /** every vmac the instance makes, its own first */
  specs: VmacSpec[];
  /** the interface adverts are sent and received on */
  channelIfname: string;
  /** the interface a VIP or eVIP goes on */
  devOf(v: VirtualAddress): string;
}

/**
 * Plan an instance's vmacs. `src`: its advert source (IPv6: the link-local
 * its vmac gets); `linkLocalOf`: an interface's link-local address (the one
 * an address vmac on it gets, as keepalived gives it).
 */
export function planVmacs(
  cfg: VrrpInstance,
  config: Config,
  family: 4 | 6,
  src: string,
  linkLocalOf: (ifname: string) => string | undefined,
): VmacPlan {
  const ifname = cfg.interface!;
  const places = placeAddresses(cfg, family);
  const names = vmacNames(config).get(cfg.name);
  if (!names) return { specs: [], channelIfname: ifname, devOf: (v) => v.dev ?? ifname };
  const specs: VmacSpec[] = [];
  const mac = (f: 4 | 6) => vmacAddress(cfg, f);
  if (names.own) {
    const otherFamilyEvip = cfg.virtual_ipaddress_excluded.some(
      (v) => familyOf(v.address) !== family,
    );
    specs.push({
      name: names.own,
      base: ifname,
      mac: mac(family),
      family,
      ipv6: family === 6 || otherFamilyEvip,
      ...(family === 6 && !cfg.vmac_xmit_base ? { linkLocal: src } : {}),
    });
  }
  const byVip = new Map<VirtualAddress, string>();
  for (const p of places) {
    if (p.own) byVip.set(p.v, names.own!);
    if (!p.addr) continue;
    const name = names.addr.get(key(p.addr))!;
    byVip.set(p.v, name);
    if (specs.some((s) => s.name === name)) continue;
    const ll = p.addr.family === 6 ? linkLocalOf(p.addr.base) : undefined;
    specs.push({
      name,
      base: p.addr.base,
      mac: mac(p.addr.family),
      family: p.addr.family,
      ipv6: p.addr.family === 6,
      ...(ll ? { linkLocal: ll } : {}),
    });
  }
  return {
    specs,
    channelIfname: names.own && !cfg.vmac_xmit_base ? names.own : ifname,
    devOf: (v) => byVip.get(v) ?? v.dev ?? ifname,
  };
}

/** Making and removing an instance's vmacs (keepalived removes the ones it made or took over). */
export class Vmacs {
  private readonly up = new Set<string>();

  constructor(
    readonly plan: VmacPlan,
    private readonly net: NetIO,
  ) {}

  /** make every vmac not made yet; throws when one cannot be had (the instance is FAULT meanwhile) */
  ensure() {
    for (const s of this.plan.specs) {
      if (this.up.has(s.name)) continue;
      this.net.createVmac(s);
      this.up.add(s.name);
    }
  }

  remove(log: (msg: string) => void) {
    for (const s of [...this.plan.specs].reverse()) {
      if (!this.up.delete(s.name)) continue;
      try {
        this.net.deleteVmac(s);
      } catch (e) {
        log(`removing VMAC ${s.name}: ${(e as Error).message}`);
      }
    }
  }
}
