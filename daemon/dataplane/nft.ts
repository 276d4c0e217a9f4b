// The nftables dataplane, rendered as one `nft -f` transaction (pure), so a
// change is atomic: packets see the old or the new ruleset, never none.
//   DR:  netdev ingress on the VIP's interface; only the VIP holder forwards
//        (`fib daddr type local`); the destination is picked by a Maglev table
//        (an anonymous map in the rule: nft 1.0.6 crashes listing named
//        `typeof jhash` maps) indexed by a per-flow hash (source address and port; source address
//        only with persistence) and `fwd` rewrites the MAC, not the IP.
//   NAT: ip nat prerouting `dnat` by the same table, plus masquerade so
//        one-arm setups route replies back through the director.
import { maglevTable, tableSize } from './maglev';
import type { Service } from './types';

export const DR_TABLE = 'keepalive_ts';
/**
 * A fixed jhash seed: without one the kernel picks a random seed per rule, so
 * the two directors (and every re-apply on one director) would send the same
 * flow to different real servers, resetting established DR connections.
 */
export const HASH_SEED = '0x6b617473';
export const NAT_TABLE = 'keepalive_ts_nat';

const l4 = (p: string) => (p === 'UDP' ? 'udp' : p === 'SCTP' ? 'sctp' : 'tcp');

export interface Rendered {
  text: string;
  /** services the nftables backend cannot express (reported, not applied) */
  skipped: { id: string; reason: string }[];
}

export function renderNft(services: readonly Service[]): Rendered {
  const skipped: Rendered['skipped'] = [];
  const drChains = new Map<string, string[]>();
  const natRules: string[] = [];
  services.forEach((s) => {
    if (s.fwmark !== undefined || !s.address)
      return skipped.push({ id: s.id, reason: 'fwmark services need IPVS' });
    if (s.address.includes(':'))
      return skipped.push({ id: s.id, reason: 'IPv6 is not supported by the nftables backend' });
    const dests = [...s.destinations]
      .filter((d) => d.weight > 0)
      .sort((a, b) => (a.address + a.port).localeCompare(b.address + b.port));
    const method = dests[0]?.method ?? s.method;
    if (method === 'TUN') return skipped.push({ id: s.id, reason: 'TUN needs IPVS' });
    const proto = l4(s.protocol);
    const key = s.persistence > 0 ? 'ip saddr' : `ip saddr . ${proto} sport`;
    if (dests.length === 0) return; // nothing live: the VIP answers locally (RST) until a server is back
    const m = tableSize(dests.length);
    const table = maglevTable(
      dests.map((d) => ({ id: `${d.address}:${d.port}`, weight: d.weight })),
      m,
    );
    if (method === 'DR') {
      const ingress = s.ingress ?? 'eth0';
      const elements = table.map((b, i) => `${i} : ${dests[b].address}`).join(', ');
      const rules = drChains.get(ingress) ?? [];
      rules.push(
        `    ip daddr ${s.address} ${proto} dport ${s.port} fib daddr type local fwd ip to jhash ${key} mod ${m} seed ${HASH_SEED} map { ${elements} } device "${s.egress ?? ingress}" comment "${s.id}"`,
      );
      drChains.set(ingress, rules);
    } else {
      const elements = table
        .map((b, i) => `${i} : ${dests[b].address} . ${dests[b].port}`)
        .join(', ');
      natRules.push(
        `    ip daddr ${s.address} ${proto} dport ${s.port} dnat ip to jhash ${key} mod ${m} seed ${HASH_SEED} map { ${elements} } comment "${s.id}"`,
      );
    }
  });
  const out: string[] = [];
  // replace both tables in one transaction (add first so delete never fails)
  out.push(`add table netdev ${DR_TABLE}`, `delete table netdev ${DR_TABLE}`);
  out.push(`add table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`);
  if (drChains.size) {
    out.push(`table netdev ${DR_TABLE} {`);
    for (const [dev, rules] of drChains) {
      out.push(
        `  chain in_${dev.replace(/[^A-Za-z0-9_]/g, '_')} {`,
        `    type filter hook ingress device "${dev}" priority 0; policy accept;`,
        ...rules,
        '  }',
      );
    }
    out.push('}');
  }
  if (natRules.length) {
    out.push(
      `table ip ${NAT_TABLE} {`,
      '  chain pre {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      ...natRules,
      '  }',
      '  chain post {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      '    ct status dnat masquerade',
      '  }',
      '}',
    );
  }
  return { text: out.join('\n') + '\n', skipped };
}

/** The commands that remove everything we created. */
export function renderNftClear(): string {
  return [
    `add table netdev ${DR_TABLE}`,
    `delete table netdev ${DR_TABLE}`,
    `add table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    '',
  ].join('\n');
}
