// A corpus of hostile VRRP frames, pure and reproducible from a seed: each
// case is the whole Ethernet frame(s) a third host sends and where the drop
// must be counted — by the instance of its VRID (with the reason), by the
// daemon as unclaimed (too short to name a VRID, or a VRID no instance has),
// or by the kernel before any socket sees it (its IP header is broken: the
// receiving namespace's IP counters). Nothing in it may be accepted: every
// advert for one of our VRIDs is wrong in exactly one way.
//
// Maximum-size IPv6 adverts (255 addresses: 4,088 bytes) do not fit a
// 1,500-byte link: they go as IPv6 fragments, as any host on such a link
// sends them (the kernel reassembles, the daemon sees one packet). Jumbograms
// (RFC 2675) are for payloads over 65,535 bytes and need a hop-by-hop header
// that no VRRP stack sends, so they would test nothing real.
import { encode, VRRP_MCAST, VRRP_MCAST6, type Advert } from '../../daemon/vrrp/codec';
import { finishChecksum, onesSum } from '../../daemon/core/checksum';
import { pseudoHeader } from '../../daemon/net/ip-header';
import { vrrpPacket, type DropReason } from '../../daemon/vrrp/receive';
import type { UnclaimedReason } from '../../daemon/vrrp/unclaimed';
import {
  ETH_P_IP,
  ETH_P_IPV6,
  ethernet,
  fixIpv4Checksum,
  ipv6Fragments,
  multicastMac,
  withIpv4Options,
} from './frames';
import { rng as prng } from './seeded-random';

/** nstat's names of the kernel counters a broken IP header moves */
export const KERNEL_COUNTERS = [
  'IpInHdrErrors',
  'IpExtInTruncatedPkts',
  'Ip6InHdrErrors',
  'Ip6InTruncatedPkts',
] as const;
export type KernelCounter = (typeof KERNEL_COUNTERS)[number];

export type Outcome =
  | { at: 'instance'; vrid: number; reason: DropReason }
  | { at: 'unclaimed'; reason: UnclaimedReason }
  | { at: 'kernel'; counter: KernelCounter };

export interface Case {
  name: string;
  family: 4 | 6;
  /** one frame, or the fragments of one packet */
  frames: Uint8Array[];
  expect: Outcome;
}

/** The receiving pair's instances (all multicast, one interface) and the sender's addresses. */
export interface Target {
  /** VRRPv3 over IPv4 */
  v4: { vrid: number; vips: string[] };
  /** VRRPv3 over IPv6 */
  v6: { vrid: number; vips: string[] };
  /** VRRPv2 over IPv4 with PASS authentication */
  v2: { vrid: number; vips: string[]; pass: string; advertInt: number };
  src4: string;
  src6: string;
  mac: Uint8Array;
}

const inst = (vrid: number, reason: DropReason): Outcome => ({ at: 'instance', vrid, reason });
const UNKNOWN: Outcome = { at: 'unclaimed', reason: 'unknown_vrid' };
const SHORT: Outcome = { at: 'unclaimed', reason: 'short' };
const kernel = (counter: KernelCounter): Outcome => ({ at: 'kernel', counter });

/** Set a VRRP message's checksum as its sender would (v3: keepalived's pseudo-header form). */
function sealVrrp(m: Uint8Array, src: string, dst: string) {
  m[6] = m[7] = 0;
  const v3 = m[0] >> 4 === 3 || src.includes(':');
  const init = v3 ? onesSum(pseudoHeader(src, dst, 112, m.length)) : 0;
  const ck = finishChecksum(onesSum(m, 0, m.length, init));
  m[6] = ck >> 8;
  m[7] = ck & 0xff;
  return m;
}

export function corpus(t: Target, seed = 1, randomCases = 200): Case[] {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const cases: Case[] = [];
  const fam = (f: 4 | 6) =>
    f === 4
      ? { src: t.src4, dst: VRRP_MCAST, type: ETH_P_IP, hdr: 20, mac: multicastMac(VRRP_MCAST) }
      : {
          src: t.src6,
          dst: VRRP_MCAST6,
          type: ETH_P_IPV6,
          hdr: 40,
          mac: multicastMac(VRRP_MCAST6),
        };
  const frame = (f: 4 | 6, ip: Uint8Array) => ethernet(fam(f).mac, t.mac, fam(f).type, ip);
  const add = (name: string, f: 4 | 6, ip: Uint8Array, expect: Outcome) =>
    cases.push({ name, family: f, frames: [frame(f, ip)], expect });
  /** a VRRP message (checksum sealed) in a correct IP packet */
  const packet = (f: 4 | 6, m: Uint8Array, ttl = 255) => vrrpPacket(m, fam(f).src, fam(f).dst, ttl);
  /** encoded and sealed; VRID 0 (which encode refuses) patched in */
  const advert = (f: 4 | 6, a: Advert) => {
    const m = encode({ ...a, vrid: a.vrid || 1 }, { src: fam(f).src, dst: fam(f).dst });
    if (a.vrid === 0) sealVrrp(Object.assign(m, { 1: 0 }), fam(f).src, fam(f).dst);
    return m;
  };
  const ours = (f: 4 | 6, over: Partial<Advert> = {}): Advert => ({
    version: 3,
    vrid: f === 4 ? t.v4.vrid : t.v6.vrid,
    priority: 90,
    advertInt: 0.1,
    addresses: f === 4 ? t.v4.vips : t.v6.vips,
    ...over,
  });
  const v2 = (over: Partial<Advert> = {}): Advert => ({
    version: 2,
    vrid: t.v2.vrid,
    priority: 90,
    advertInt: t.v2.advertInt,
    addresses: t.v2.vips,
    authType: 1,
    authPass: t.v2.pass,
    ...over,
  });
  const foreign4 = ['203.0.113.77'];
  const foreign6 = ['2001:db8:0:1::77'];
  const foreignOf = (f: 4 | 6) => (f === 4 ? foreign4 : foreign6);
  const vridOf = (f: 4 | 6) => (f === 4 ? t.v4.vrid : t.v6.vrid);
  const owned = (f: 4 | 6) => (f === 4 ? [t.v4.vrid, t.v2.vrid] : [t.v6.vrid]);

  for (const f of [4, 6] as const) {
    const vrid = vridOf(f);
    const { hdr } = fam(f);
    const full = packet(f, advert(f, ours(f, { addresses: foreignOf(f) })));
    const setLen = (p: Uint8Array, len: number) => {
      if (f === 4) {
        p[2] = len >> 8;
        p[3] = len & 0xff;
        return fixIpv4Checksum(p);
      }
      p[4] = (len - 40) >> 8;
      p[5] = (len - 40) & 0xff;
      return p;
    };
    const hdrErr = kernel(f === 4 ? 'IpInHdrErrors' : 'Ip6InHdrErrors');
    const truncErr = kernel(f === 4 ? 'IpExtInTruncatedPkts' : 'Ip6InTruncatedPkts');
    // truncated at every byte: in the IP header (the kernel), before the VRID, in the message
    for (let len = 0; len < full.length; len++) {
      const p = full.slice(0, len);
      if (len >= hdr) setLen(p, len);
      add(
        `IPv${f} truncated to ${len} bytes`,
        f,
        p,
        len < hdr ? hdrErr : len < hdr + 2 ? SHORT : inst(vrid, 'length'),
      );
    }
    // the IP length says more than arrived; says less (the kernel trims: the message is cut)
    for (const extra of [1, 8, 1000])
      add(
        `IPv${f} length ${extra} past the frame`,
        f,
        setLen(full.slice(), full.length + extra),
        truncErr,
      );
    for (const len of [hdr + 2, hdr + 7, full.length - 1])
      add(
        `IPv${f} length ${len} of ${full.length} bytes sent`,
        f,
        setLen(full.slice(), len),
        inst(vrid, 'length'),
      );
    // the IP version nibble of the other family, or of none
    for (let v = 0; v < 16; v++) {
      if (v === f) continue;
      const p = full.slice();
      p[0] = (v << 4) | (p[0] & 0x0f);
      if (f === 4) fixIpv4Checksum(p);
      add(`IP version ${v} in an IPv${f} frame`, f, p, hdrErr);
    }
    // VRRP: the address count past the end
    for (const count of [2, 3, 16, 100, 255]) {
      const m = advert(f, ours(f, { addresses: foreignOf(f) }));
      m[3] = count;
      add(
        `IPv${f} count ${count} with one address`,
        f,
        packet(f, sealVrrp(m, fam(f).src, fam(f).dst)),
        inst(vrid, 'length'),
      );
    }
    // every version 0..15 (v2 over IPv6 included), type 1, checksum right for its form
    for (let v = 0; v < 16; v++) {
      let m: Uint8Array;
      if (v === 2 && f === 4) m = advert(4, v2({ vrid }));
      else {
        m = advert(f, ours(f, { addresses: foreignOf(f) }));
        m[0] = (v << 4) | 1;
        sealVrrp(m, fam(f).src, fam(f).dst);
      }
      add(
        `VRRP version ${v} over IPv${f}`,
        f,
        packet(f, m),
        inst(vrid, v === 3 ? 'addresses' : 'version'),
      );
    }
    for (let type = 0; type < 16; type++) {
      if (type === 1) continue;
      const m = advert(f, ours(f));
      m[0] = 0x30 | type;
      add(
        `VRRP type ${type} over IPv${f}`,
        f,
        packet(f, sealVrrp(m, fam(f).src, fam(f).dst)),
        inst(vrid, 'type'),
      );
    }
    for (const flip of [0x0001, 0x0080, 0x0100]) {
      const m = advert(f, ours(f));
      m[6] ^= flip >> 8;
      m[7] ^= flip & 0xff;
      add(`IPv${f} checksum off by ${flip}`, f, packet(f, m), inst(vrid, 'checksum'));
    }
    for (const ttl of [0, 1, 64, 254])
      add(`IPv${f} TTL ${ttl}`, f, packet(f, advert(f, ours(f)), ttl), inst(vrid, 'ttl'));
    add(
      `IPv${f} another VIP`,
      f,
      packet(f, advert(f, ours(f, { addresses: foreignOf(f) }))),
      inst(vrid, 'addresses'),
    );
    add(
      `IPv${f} our VIP and another`,
      f,
      packet(f, advert(f, ours(f, { addresses: [...ours(f).addresses, ...foreignOf(f)] }))),
      inst(vrid, 'addresses'),
    );
    // maximum size: 255 addresses (IPv6: fragmented), ours and another VRID
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        f === 4 ? `203.0.113.${i}` : `2001:db8:0:2::${(i + 1).toString(16)}`,
      );
    for (const [what, vr, expect] of [
      ['ours', vrid, inst(vrid, 'addresses')],
      ['another VRID', 200, UNKNOWN],
    ] as const) {
      const p = packet(f, advert(f, ours(f, { vrid: vr, addresses: many(255) })));
      const name = `IPv${f} 255 addresses, ${what}`;
      if (f === 4) add(name, f, p, expect);
      else
        cases.push({
          name: `${name} (fragmented)`,
          family: 6,
          frames: ipv6Fragments(p, 1500, 0x10000 + cases.length).map((x) => frame(6, x)),
          expect,
        });
    }
    // valid-looking adverts of virtual routers we do not run (VRID 0 included)
    for (const vr of [
      0,
      1,
      50,
      100,
      254,
      255,
      ...(f === 4 ? [t.v6.vrid] : [t.v4.vrid, t.v2.vrid]),
    ]) {
      if (owned(f).includes(vr)) continue;
      add(
        `IPv${f} v3 advert of VRID ${vr}`,
        f,
        packet(f, advert(f, ours(f, { vrid: vr }))),
        UNKNOWN,
      );
      if (f === 4)
        add(`IPv4 v2 advert of VRID ${vr}`, 4, packet(4, advert(4, v2({ vrid: vr }))), UNKNOWN);
    }
  }

  // IPv4 only: header length, header checksum, options
  const full4 = packet(4, advert(4, ours(4)));
  for (const ihl of [0, 1, 4, 15]) {
    const p = full4.slice();
    p[0] = 0x40 | ihl;
    add(`IPv4 IHL ${ihl}`, 4, fixIpv4Checksum(p), kernel('IpInHdrErrors'));
  }
  for (const len of [0, 19]) {
    const p = full4.slice();
    p[2] = len >> 8;
    p[3] = len & 0xff;
    add(`IPv4 total length ${len}`, 4, fixIpv4Checksum(p), kernel('IpInHdrErrors'));
  }
  {
    const p = full4.slice();
    p[10] ^= 0x55;
    add('IPv4 header checksum wrong', 4, p, kernel('IpInHdrErrors'));
  }
  for (const words of [1, 10])
    add(
      `IPv4 ${words * 4} bytes of options, another VIP`,
      4,
      withIpv4Options(packet(4, advert(4, ours(4, { addresses: foreign4 }))), words),
      inst(t.v4.vrid, 'addresses'),
    );
  {
    // MTU-size: 255 addresses and padding to 1,500 bytes of IP
    const p = packet(
      4,
      advert(4, ours(4, { addresses: foreign4.concat(Array(254).fill('203.0.113.1')) })),
    );
    const big = new Uint8Array(1500);
    big.set(p);
    add(
      'IPv4 1500 bytes (255 addresses, padding)',
      4,
      fixIpv4Checksum(setLen4(big, 1500)),
      inst(t.v4.vrid, 'addresses'),
    );
  }

  // the VRRPv2 instance: authentication and interval (RFC 3768 7.1)
  const v2case = (name: string, a: Advert, reason: DropReason) =>
    add(`v2 ${name}`, 4, packet(4, advert(4, a)), inst(t.v2.vrid, reason));
  v2case('auth none', v2({ authType: 0 }), 'auth');
  v2case('auth type 2 (AH)', v2({ authType: 2 }), 'auth');
  v2case('wrong password', v2({ authPass: 'wrong!' }), 'auth');
  v2case('password one character short', v2({ authPass: t.v2.pass.slice(0, -1) }), 'auth');
  for (const s of [2, 255]) v2case(`interval ${s}`, v2({ advertInt: s }), 'interval');
  v2case('as VRRPv3', { ...ours(4), vrid: t.v2.vrid, addresses: t.v2.vips }, 'version');
  v2case('another VIP', v2({ addresses: foreign4 }), 'addresses');
  v2case('255 addresses', v2({ addresses: Array(255).fill('203.0.113.9') }), 'addresses');
  {
    const m = advert(4, v2());
    m[7] ^= 1;
    add('v2 bad checksum', 4, packet(4, m), inst(t.v2.vrid, 'checksum'));
  }

  // random bytes: as the VRRP message (the VRID byte decides who counts it), and as the IP header
  for (let i = 0; i < randomCases; i++) {
    const f = rnd() < 0.5 ? 4 : 6;
    const m = Uint8Array.from({ length: int(80) }, () => int(256));
    let expect: Outcome;
    if (m.length < 2) expect = SHORT;
    else if (m.length < 8) expect = owned(f).includes(m[1]) ? inst(m[1], 'length') : UNKNOWN;
    else {
      if (rnd() < 0.5) m[1] = owned(f)[int(owned(f).length)];
      if (owned(f).includes(m[1])) {
        // a version no instance runs: the first check that cannot depend on chance
        m[0] = ((4 + int(12)) << 4) | (m[0] & 0x0f);
        expect = inst(m[1], 'version');
      } else expect = UNKNOWN;
    }
    add(`random ${m.length}-byte message #${i} over IPv${f}`, f, packet(f, m), expect);
  }
  for (let i = 0; i < randomCases / 4; i++) {
    const f = rnd() < 0.5 ? 4 : 6;
    const p = Uint8Array.from({ length: 1 + int(120) }, () => int(256));
    p[0] = ((f + 1 + int(15)) % 16 << 4) | (p[0] & 0x0f); // never its family's version
    add(
      `random ${p.length}-byte IP packet #${i} in an IPv${f} frame`,
      f,
      p,
      kernel(f === 4 ? 'IpInHdrErrors' : 'Ip6InHdrErrors'),
    );
  }
  return cases;
}

function setLen4(p: Uint8Array, len: number) {
  p[2] = len >> 8;
  p[3] = len & 0xff;
  return p;
}

export interface Tally {
  /** by VRID, then reason */
  instance: Record<number, Partial<Record<DropReason, number>>>;
  unclaimed: Partial<Record<UnclaimedReason, number>>;
  kernel: Partial<Record<KernelCounter, number>>;
}

/** What the receivers must count for these cases, each sent `times` times (or times(index)). */
export function tally(cases: readonly Case[], times: number | ((i: number) => number) = 1): Tally {
  const t: Tally = { instance: {}, unclaimed: {}, kernel: {} };
  let n = 0;
  const bump = <K extends string>(r: Partial<Record<K, number>>, k: K) => (r[k] = (r[k] ?? 0) + n);
  for (const [i, c] of cases.entries()) {
    n = typeof times === 'number' ? times : times(i);
    if (!n) continue;
    const e = c.expect;
    if (e.at === 'instance') bump((t.instance[e.vrid] ??= {}), e.reason);
    else if (e.at === 'unclaimed') bump(t.unclaimed, e.reason);
    else bump(t.kernel, e.counter);
  }
  return t;
}
