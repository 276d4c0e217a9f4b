// global_defs nftables_ipvs with IPVS (keepalived's check_nftables.c): the
// address ranges of a virtual_server_group become elements of an nftables
// map `ADDRESS . PORT : MARK` per protocol (tcp_map, udp_map, sctp_map) in
// `table ip NAME`, whose input chain (at nftables_ipvs_priority, before
// IPVS's own input hook) sets the mark; IPVS then serves one fwmark service
// per group and protocol instead of one service per address. A range entry
// of port 0 (any port, persistent services only) matches every port.
// Rendered as one `nft -f` transaction (pure).
import type { Service } from './types';

const MAP = { TCP: 'tcp_map', UDP: 'udp_map', SCTP: 'sctp_map' } as const;
const L4 = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' } as const;

/** The transaction that makes the marking table exactly right; '' when no service is marked. */
export function renderIpvsMarks(services: readonly Service[]): string {
  const marked = services.filter((s) => s.marked && s.fwmark !== undefined);
  if (!marked.length) return '';
  const { table, priority } = marked[0].marked!;
  const elements = new Map<keyof typeof MAP, string[]>();
  for (const s of marked) {
    const list = elements.get(s.protocol) ?? [];
    for (const r of s.marked!.ranges)
      list.push(`${r.first}-${r.last} . ${r.port || '0-65535'} : ${s.fwmark}`);
    elements.set(s.protocol, list);
  }
  const protos = (['TCP', 'UDP', 'SCTP'] as const).filter((p) => elements.has(p));
  return [
    `add table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    ...protos.flatMap((p) => [
      `  map ${MAP[p]} {`,
      '    type ipv4_addr . inet_service : mark',
      '    flags interval',
      `    elements = { ${elements.get(p)!.join(', ')} }`,
      '  }',
    ]),
    '  chain in {',
    `    type filter hook input priority ${priority}; policy accept;`,
    ...protos.map(
      (p) =>
        `    meta l4proto ${L4[p]} meta mark set ip daddr . ${L4[p]} dport map @${MAP[p]} counter return`,
    ),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Removes the marking table (nothing to do when it is not there). */
export function renderIpvsMarksClear(table: string): string {
  return `add table ip ${table}\ndelete table ip ${table}\n`;
}
