// Accept mode (RFC 5798 6.1, keepalived's no_accept / strict_mode): a master
// that is not the address owner does not accept packets addressed to its
// virtual addresses. keepalived drops them with nftables; so do we, with one
// table of our own. Pure: which addresses, and the nft script for them.
import type { Config, VrrpInstance } from '../config/model';
import { isStrict } from '../config/strict';
import { instanceVersion } from '../config/version';

export const ACCEPT_TABLE = 'keepalive_ts_vrrp';

/**
 * Whether an instance accepts packets to its addresses: the owner (255)
 * always; else `accept` / `no_accept`; else not in strict mode. Strict VRRPv2
 * never accepts (RFC 3768 has no accept mode).
 */
export function acceptsTraffic(config: Config, vi: VrrpInstance): boolean {
  if (vi.priority === 255) return true;
  const strict = isStrict(config, vi);
  const accept = vi.accept ? true : vi.no_accept ? false : !strict;
  return accept && !(strict && instanceVersion(config, vi) === 2);
}

/** The virtual addresses (VIPs and excluded ones) of every instance that does not accept. */
export function droppedAddresses(config: Config): { v4: string[]; v6: string[] } {
  const all = new Set<string>();
  for (const vi of config.vrrp_instance)
    if (!acceptsTraffic(config, vi))
      for (const a of [...vi.virtual_ipaddress, ...vi.virtual_ipaddress_excluded])
        all.add(a.address);
  const list = [...all].sort();
  return { v4: list.filter((a) => !a.includes(':')), v6: list.filter((a) => a.includes(':')) };
}

/**
 * The nft script that makes the table hold exactly these addresses (replacing
 * what was there), or only removes it when there are none. Neighbour
 * discovery to and from the addresses stays allowed, as in keepalived.
 */
export interface AcceptTableOptions {
  /** `nftables NAME` (vrrp_iptables: "keepalived"), else ACCEPT_TABLE */
  table: string;
  /** nftables_priority, else -1 */
  priority: number;
  /** nftables_counters */
  counters: boolean;
}

/** The table options from global_defs (keepalived's nftables keywords). */
export function acceptTableOptions(config: Config): AcceptTableOptions {
  const g = config.global_defs;
  const named = g.nftables ?? (g.vrrp_iptables || g.vrrp_ipsets ? 'keepalived' : undefined);
  return {
    table: named ?? ACCEPT_TABLE,
    priority: g.nftables_priority ?? -1,
    counters: g.nftables_counters,
  };
}

export function renderAcceptTable(
  d: { v4: string[]; v6: string[] },
  o: AcceptTableOptions = { table: ACCEPT_TABLE, priority: -1, counters: false },
): string {
  const t = o.table; // an nft identifier (the config checks `nftables NAME`)
  const reset = `table inet ${t}\ndelete table inet ${t}\n`;
  if (!d.v4.length && !d.v6.length) return reset;
  const set = (name: string, type: string, el: string[]) =>
    `  set ${name} {\n    type ${type}\n${el.length ? `    elements = { ${el.join(', ')} }\n` : ''}  }\n`;
  const c = o.counters ? 'counter ' : '';
  const chain = (name: string, hook: string, dir: 'daddr' | 'saddr') =>
    `  chain ${name} {\n    type filter hook ${hook} priority ${o.priority}; policy accept;\n` +
    `    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n` +
    `    ip ${dir} @vips4 ${c}drop\n    ip6 ${dir} @vips6 ${c}drop\n  }\n`;
  return (
    reset +
    `table inet ${t} {\n` +
    set('vips4', 'ipv4_addr', d.v4) +
    set('vips6', 'ipv6_addr', d.v6) +
    chain('in', 'input', 'daddr') +
    chain('out', 'output', 'saddr') +
    '}\n'
  );
}
