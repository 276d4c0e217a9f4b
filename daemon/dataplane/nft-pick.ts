// How the nftables backend picks a real server for a flow, keepalived's
// knobs translated (pure):
// - the flow key: source address and port; the source address alone with
//   persistence (masked by persistence_granularity: clients of one subnet
//   share a server, as IPVS persistence templates do) and with the sh / mh
//   schedulers (source hashing), which add the source port with
//   sh-port / mh-port (flag-2);
// - the table: without sh-fallback / mh-fallback (flag-1), sh and mh keep a
//   server that is in the table at weight 0 (inhibit_on_failure) in its
//   slots, and new flows of those slots are dropped, as IPVS's sh and mh drop
//   them; existing TCP flows of DR services go on to it. With the fallback
//   flag, and for every other scheduler, such a server has no slots: its
//   flows go to the others (Maglev moves only its slots).
import { bytesToIpv4, bytesToIpv6 } from '../core/address';
import { netmaskBytes, prefix6 } from './ipvs-addr';
import { maglevTable, tableSize } from './maglev';
import type { Destination, Service } from './types';

/** IP_VS_SVC_F_SCHED1 (sh/mh: fallback) and SCHED2 (sh/mh: port) */
const FALLBACK = 0x8;
const PORT = 0x10;

const hashes = (s: Service) => s.scheduler === 'sh' || s.scheduler === 'mh';

/** persistence_granularity as an nft mask: dotted IPv4, or an IPv6 prefix length as an address; '' = host */
function maskOf(s: Service, ip: 'ip' | 'ip6'): string {
  if (!s.persistenceNetmask) return '';
  if (ip === 'ip') {
    const m = bytesToIpv4(netmaskBytes(s.persistenceNetmask), 0);
    return m === '255.255.255.255' ? '' : m;
  }
  const bits = prefix6(s.persistenceNetmask);
  if (bits === 128) return '';
  const b = new Uint8Array(16);
  for (let i = 0; i < bits; i++) b[i >> 3] |= 0x80 >> (i & 7);
  return bytesToIpv6(b, 0);
}

/** The nft expression hashed per flow; `proto` is tcp, udp, sctp or th. */
export function flowKey(s: Service, proto: string, ip: 'ip' | 'ip6' = 'ip'): string {
  const mask = maskOf(s, ip);
  if (s.persistence > 0) return mask ? `${ip} saddr & ${mask}` : `${ip} saddr`;
  if (hashes(s) && !((s.schedFlags ?? 0) & PORT)) return `${ip} saddr`;
  return `${ip} saddr . ${proto} sport`;
}

export interface Pick {
  /** slot count (prime) */
  m: number;
  /** the destination of each slot */
  slots: Destination[];
  /** slots whose destination takes no new flows (sh / mh without fallback) */
  dead: number[];
}

/** The Maglev table of a service; undefined when no slot has a destination. */
export function pickTable(s: Service): Pick | undefined {
  const keep = hashes(s) && !((s.schedFlags ?? 0) & FALLBACK) && !s.onePacket;
  const dests = s.destinations
    .filter((d) => d.weight > 0 || (keep && (d.baseWeight ?? 0) > 0))
    .sort((a, b) => (a.address + a.port).localeCompare(b.address + b.port));
  if (!dests.some((d) => d.weight > 0) && !keep) return undefined;
  if (dests.length === 0) return undefined;
  const m = tableSize(Math.max(dests.length, s.capacity ?? 0));
  const table = maglevTable(
    dests.map((d) => ({ id: `${d.address}:${d.port}`, weight: d.weight || d.baseWeight! })),
    m,
  );
  const slots = table.map((b) => dests[b]);
  const dead = slots.flatMap((d, i) => (d.weight > 0 ? [] : [i]));
  return { m, slots, dead };
}
