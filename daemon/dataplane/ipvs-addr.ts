// Address families in IPVS messages, pure: union nf_inet_addr (16 bytes, an
// IPv4 address in the first 4), the persistence netmask (an IPv4 mask in
// network order, an IPv6 prefix length as a host-order u32, as the kernel's
// ip_vs_ctl.c reads them), and the tunnel attributes of TUN destinations
// (IPVS_DEST_ATTR_TUN_TYPE / _TUN_PORT / _TUN_FLAGS, kernel >= 5.2/5.3).
import { bytesToIpv4, bytesToIpv6, familyOf, ipToBytes } from '../core/address';
import type { Tunnel } from './types';

export const AF_INET = 2;
export const AF_INET6 = 10;

/** AF_INET or AF_INET6 of an address; throws on anything else. */
export function afOf(ip: string): number {
  const f = familyOf(ip);
  if (!f) throw new Error(`not an IP address: ${ip}`);
  return f === 6 ? AF_INET6 : AF_INET;
}

/** union nf_inet_addr: 16 bytes, IPv4 in the first 4 */
export function inetAddr(ip: string): Uint8Array {
  const b = new Uint8Array(16);
  b.set(ipToBytes(ip));
  return b;
}

export function inetText(a: Uint8Array | undefined, af: number): string {
  if (!a) return af === AF_INET6 ? '::' : '0.0.0.0';
  return af === AF_INET6 ? bytesToIpv6(a, 0) : bytesToIpv4(a, 0);
}

/** The kernel's spelling of an address (what a dump gives back): RFC 5952 for IPv6. */
export function canonicalIp(ip: string): string {
  return familyOf(ip) === 6 ? bytesToIpv6(ipToBytes(ip), 0) : ip;
}

/** A dotted mask or a prefix length as 4 bytes in network order; throws on anything else. */
export function netmaskBytes(mask: string | undefined): Uint8Array {
  if (mask === undefined) return Uint8Array.of(255, 255, 255, 255);
  const prefix = /^\/?(\d{1,2})$/.exec(mask);
  if (prefix && Number(prefix[1]) <= 32) {
    const bits = Number(prefix[1]);
    const n = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  const o = mask.split('.').map(Number);
  if (o.length !== 4 || o.some((x) => !Number.isInteger(x) || x < 0 || x > 255))
    throw new Error(`persistence_granularity ${mask}: not a netmask`);
  return Uint8Array.from(o);
}

/** An IPv6 persistence prefix length (1-128, `/` allowed); absent = 128. */
export function prefix6(mask: string | undefined): number {
  if (mask === undefined) return 128;
  const m = /^\/?(\d{1,3})$/.exec(mask);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= 128))
    throw new Error(`persistence_granularity ${mask}: not an IPv6 prefix length (1-128)`);
  return n;
}

/** IPVS_SVC_ATTR_NETMASK for a service of family `af`. */
export function svcNetmask(mask: string | undefined, af: number): Uint8Array {
  if (af !== AF_INET6) return netmaskBytes(mask);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, prefix6(mask), true);
  return b;
}

/** The netmask attribute as text ('255.255.255.0', '64'); undefined for a host mask. */
export function svcNetmaskText(a: Uint8Array | undefined, af: number): string | undefined {
  if (!a) return undefined;
  if (af === AF_INET6) {
    const n = new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true);
    return n === 128 ? undefined : String(n);
  }
  const t = bytesToIpv4(a, 0);
  return t === '255.255.255.255' ? undefined : t;
}

/** IP_VS_CONN_F_TUNNEL_TYPE_* */
export const TUN_TYPE = { ipip: 0, gue: 1, gre: 2 } as const;
/** IP_VS_TUNNEL_ENCAP_FLAG_* */
export const TUN_CSUM = { nocsum: 0, csum: 1, remcsum: 2 } as const;

/**
 * A tunnel as the kernel holds it: the port only for GUE, checksum flags
 * only for GUE and GRE (libipvs sends no more, the kernel reports zeros).
 */
export function normalTunnel(t: Tunnel | undefined): Required<Tunnel> {
  const type = t?.type ?? 'ipip';
  return {
    type,
    port: type === 'gue' ? (t?.port ?? 0) : 0,
    csum: type === 'ipip' ? 'nocsum' : (t?.csum ?? 'nocsum'),
  };
}

export function tunnelFrom(type: number, port: number, flags: number): Tunnel {
  const name = (Object.keys(TUN_TYPE) as (keyof typeof TUN_TYPE)[]).find(
    (k) => TUN_TYPE[k] === type,
  );
  const csum = (Object.keys(TUN_CSUM) as (keyof typeof TUN_CSUM)[]).find(
    (k) => TUN_CSUM[k] === flags,
  );
  const t = normalTunnel({ type: name ?? 'ipip', port, csum: csum ?? 'nocsum' });
  return {
    type: t.type,
    ...(t.type === 'gue' ? { port: t.port } : {}),
    ...(t.csum !== 'nocsum' ? { csum: t.csum } : {}),
  };
}

export const sameTunnel = (a: Tunnel | undefined, b: Tunnel | undefined) =>
  JSON.stringify(normalTunnel(a)) === JSON.stringify(normalTunnel(b));
