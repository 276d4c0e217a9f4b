// The nftables dataplane, rendered as `nft -f` transactions (pure), so a
// change is atomic: packets see the old or the new ruleset, never none.
//   DR:  netdev ingress on the VIP's interface; only the VIP holder forwards,
//        and only frames sent to its own MAC (FOR_US); the destination is
//        picked by a Maglev table indexed by a per-flow hash (source address and port; see
//        nft-pick.ts for persistence, sh / mh and their flags) and `fwd`
//        rewrites the MAC, not the IP.
//   NAT: ip nat prerouting `dnat` by the same table, plus masquerade so
//        one-arm setups route replies back through the director.
//   IPv6: the same in ip6 terms (`fwd ip6 to`, an ip6 nat table); a fwmark
//   service's family is its `family` (ip_family).
//   TUN is refused: nftables cannot encapsulate (IPVS does).
//   fwmark services match `meta mark N` (TCP, UDP, SCTP) instead of address
//   and port. NAT sees marks set in prerouting before dstnat (iptables
//   mangle, an nft chain at priority mangle); DR runs in netdev ingress,
//   before prerouting: it sees only marks set by an ingress chain of the same
//   device with a priority below 0.
//   global_defs nftables_ipvs: a group's address ranges are one fwmark
//   service; here there is no IPVS to hand a mark to, so its rules match the
//   ranges directly (one rule per range entry, `ip daddr A-B`, all into one
//   Maglev table) and the fwmark number and chain priority are not used.
//   persistence_engine (SIP) has no nftables counterpart: such a service is
//   refused (lvs_backend nftables refuses it at -t already).
// Each Maglev table is a named map (declared `typeof numgen inc mod M`: nft
// 1.0.6 crashes listing a `typeof jhash` map), sized for every configured
// real server. So when a server fails or comes back only some slots change,
// and the change is a delta of map elements (renderNftDelta), not a new ruleset.
import { flowKey, pickTable } from './nft-pick';
import type { Service } from './types';

/**
 * A DR packet this director may forward: addressed to its MAC (the kernel's
 * stack drops other hosts' frames, and IPVS never sees them; netdev ingress
 * does: a switch flooding an unknown MAC, such as a dead director's, would
 * make every director forward it) and to a VIP it holds (only the VRRP master,
 * or every director in active-active).
 */
const FOR_US = 'meta pkttype host fib daddr type local';

export const DR_TABLE = 'keepalive_ts';
/**
 * A fixed jhash seed: without one the kernel picks a random seed per rule, so
 * the two directors (and every re-apply on one director) would send the same
 * flow to different real servers, resetting established DR connections.
 */
export const HASH_SEED = '0x6b617473';
export const NAT_TABLE = 'keepalive_ts_nat';
export const NAT6_TABLE = 'keepalive_ts_nat6';

const l4 = (p: string) => (p === 'UDP' ? 'udp' : p === 'SCTP' ? 'sctp' : 'tcp');

/** One Maglev table: its slots' values, in slot order. */
export interface NftMap {
  family: 'netdev' | 'ip' | 'ip6';
  table: string;
  name: string;
  slots: string[];
}

export interface Rendered {
  /** the whole ruleset, replacing our tables */
  text: string;
  /** the ruleset without the maps' elements: equal structure = a delta can do */
  structure: string;
  maps: NftMap[];
  /** services the nftables backend cannot express (reported, not applied) */
  skipped: { id: string; reason: string }[];
}

const mapName = (id: string) => `m_${id.replace(/[^A-Za-z0-9]/g, '_')}`;
const elements = (m: NftMap) => m.slots.map((v, i) => `${i} : ${v}`).join(', ');

export function renderNft(services: readonly Service[]): Rendered {
  const skipped: Rendered['skipped'] = [];
  const drChains = new Map<string, string[]>();
  const natRules: Record<'ip' | 'ip6', string[]> = { ip: [], ip6: [] };
  const maps: (NftMap & { type: string })[] = [];
  services.forEach((s) => {
    const fwm = s.fwmark;
    if (fwm === undefined && !s.address)
      return skipped.push({ id: s.id, reason: 'a service needs an address or a fwmark' });
    const ip = (fwm === undefined ? s.address!.includes(':') : s.family === 6) ? 'ip6' : 'ip';
    if (s.persistenceEngine && s.persistence > 0)
      return skipped.push({
        id: s.id,
        reason: `persistence_engine ${s.persistenceEngine} needs IPVS (nftables has no SIP persistence engine)`,
      });
    const picked = pickTable(s);
    const dests = picked?.slots ?? [];
    const method = dests[0]?.method ?? s.method;
    if (method === 'TUN' || s.destinations.some((d) => d.method === 'TUN'))
      return skipped.push({
        id: s.id,
        reason:
          'TUN forwarding needs IPVS (nftables cannot encapsulate packets); use lvs_backend ipvs',
      });
    if (dests.some((d) => d.address.includes(':') !== (ip === 'ip6')))
      return skipped.push({ id: s.id, reason: 'real servers of the other address family' });
    // nftables_ipvs: the group's ranges are matched here directly (no mark needed)
    const ranges = s.marked?.ranges;
    // a fwmark service covers whatever the mark selects: TCP, UDP and SCTP alike (th = transport header)
    const proto = fwm === undefined || ranges ? l4(s.protocol) : 'th';
    const key = flowKey(s, proto, ip);
    // ops: every packet picks on its own (DR only: NAT's conntrack binds a flow to its first pick)
    if (s.onePacket && method === 'NAT')
      return skipped.push({ id: s.id, reason: 'one-packet scheduling (ops) with NAT needs IPVS' });
    const pick = s.onePacket ? 'numgen inc' : `jhash ${key}`;
    const seed = s.onePacket ? '' : ` seed ${HASH_SEED}`;
    // one rule per range entry (not a concatenated interval set: its lookups
    // missed now and then in the lab, resetting a connection)
    const matches = ranges
      ? ranges.map(
          (r) =>
            `${ip} daddr ${r.first === r.last ? r.first : `${r.first}-${r.last}`}${r.port ? ` ${proto} dport ${r.port}` : ` meta l4proto ${proto}`}`,
        )
      : [
          fwm === undefined
            ? `${ip} daddr ${s.address} ${proto} dport ${s.port}`
            : `meta mark ${fwm}${ip === 'ip6' ? ' meta protocol ip6' : ''} meta l4proto { tcp, udp, sctp }`,
        ];
    // NAT real servers of port 0 under a fwmark keep the client's port (as IPVS)
    const keepPort = fwm !== undefined && dests.every((d) => d.port === 0);
    if (fwm !== undefined && !keepPort && dests.some((d) => d.port === 0) && method === 'NAT')
      return skipped.push({
        id: s.id,
        reason: 'NAT real servers with and without a port under one fwmark',
      });
    if (!picked) return; // nothing live: the VIP answers locally (RST) until a server is back
    const { m } = picked;
    const name = mapName(s.id);
    // sh / mh without fallback: new flows of an unavailable server's slots are dropped
    const dead = picked.dead.length ? `${pick} mod ${m}${seed} { ${picked.dead.join(', ')} }` : '';
    if (method === 'DR') {
      const ingress = s.ingress ?? 'eth0';
      maps.push({
        family: 'netdev',
        table: DR_TABLE,
        name,
        type: `typeof numgen inc mod ${m} : ${ip} daddr`,
        slots: dests.map((d) => d.address),
      });
      const rules = drChains.get(ingress) ?? [];
      // DR sees every packet: only a TCP SYN starts a flow, later packets go on to the server
      const fresh = proto === 'tcp' ? ' tcp flags & (syn | ack) == syn' : '';
      for (const match of matches) {
        if (dead) rules.push(`    ${match}${fresh} ${FOR_US} ${dead} drop comment "${s.id}"`);
        rules.push(
          `    ${match} ${FOR_US} fwd ${ip} to ${pick} mod ${m}${seed} map @${name} device "${s.egress ?? ingress}" comment "${s.id}"`,
        );
      }
      drChains.set(ingress, rules);
    } else {
      maps.push({
        family: ip,
        table: ip === 'ip' ? NAT_TABLE : NAT6_TABLE,
        name,
        type: `typeof numgen inc mod ${m} : ${ip} daddr${keepPort ? '' : ` . ${proto} dport`}`,
        slots: dests.map((d) => `${d.address}${keepPort ? '' : ` . ${d.port}`}`),
      });
      // the nat chain sees the first packet of a connection only
      for (const match of matches) {
        if (dead) natRules[ip].push(`    ${match} ${dead} drop comment "${s.id}"`);
        natRules[ip].push(
          `    ${match} dnat ${ip} to ${pick} mod ${m}${seed} map @${name} comment "${s.id}"`,
        );
      }
    }
  });
  const render = (withElements: boolean) => {
    const mapDecl = (t: string) =>
      maps
        .filter((x) => x.table === t)
        .map(
          (x) =>
            `  map ${x.name} {\n    ${x.type}\n${withElements ? `    elements = { ${elements(x)} }\n` : ''}  }`,
        );
    const out: string[] = [];
    // replace both tables in one transaction (add first so delete never fails)
    out.push(`add table netdev ${DR_TABLE}`, `delete table netdev ${DR_TABLE}`);
    out.push(`add table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`);
    out.push(`add table ip6 ${NAT6_TABLE}`, `delete table ip6 ${NAT6_TABLE}`);
    if (drChains.size) {
      out.push(`table netdev ${DR_TABLE} {`, ...mapDecl(DR_TABLE));
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
    for (const [family, table] of [
      ['ip', NAT_TABLE],
      ['ip6', NAT6_TABLE],
    ] as const) {
      if (!natRules[family].length) continue;
      out.push(
        `table ${family} ${table} {`,
        ...mapDecl(table),
        '  chain pre {',
        '    type nat hook prerouting priority dstnat; policy accept;',
        ...natRules[family],
        '  }',
        '  chain post {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        '    ct status dnat masquerade',
        '  }',
        '}',
      );
    }
    return out.join('\n') + '\n';
  };
  return {
    text: render(true),
    structure: render(false),
    maps: maps.map(({ family, table, name, slots }) => ({ family, table, name, slots })),
    skipped,
  };
}

/**
 * The transaction that takes `prev` (what is applied) to `next` by changing
 * map elements only: '' when nothing changed, undefined when the structure
 * differs (tables, chains, rules, map sizes) and the whole ruleset must go.
 */
export function renderNftDelta(prev: Rendered, next: Rendered): string | undefined {
  if (prev.structure !== next.structure) return undefined;
  const out: string[] = [];
  next.maps.forEach((m, k) => {
    const old = prev.maps[k];
    const changed = m.slots.flatMap((v, i) => (old.slots[i] === v ? [] : [i]));
    if (!changed.length) return;
    const at = `${m.family} ${m.table} ${m.name}`;
    // delete and add in one transaction: no packet sees a slot without a value
    out.push(`delete element ${at} { ${changed.join(', ')} }`);
    out.push(`add element ${at} { ${changed.map((i) => `${i} : ${m.slots[i]}`).join(', ')} }`);
  });
  return out.length ? out.join('\n') + '\n' : '';
}

/** The commands that remove everything we created. */
export function renderNftClear(): string {
  return [
    `add table netdev ${DR_TABLE}`,
    `delete table netdev ${DR_TABLE}`,
    `add table ip ${NAT_TABLE}`,
    `delete table ip ${NAT_TABLE}`,
    `add table ip6 ${NAT6_TABLE}`,
    `delete table ip6 ${NAT6_TABLE}`,
    '',
  ].join('\n');
}
