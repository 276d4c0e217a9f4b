// VRRP virtual MAC interfaces on Linux, as keepalived 2.2.7 makes them
// (vrrp_vmac.c, vrrp_if_config.c): a private-mode macvlan over rtnetlink,
// IPv6 address generation off, up; for IPv4 keepalived's sysctls (ARP on
// the base interface, rp_filter), put back when the last one goes.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { VmacSpec } from './io';
import { parseMac } from './arp';
import { AF_NETLINK, native, NETLINK_ROUTE, SOCK_RAW, sockaddrNl } from './native';
import { decodeAck, encodeAddrRequest } from './rtnl';
import { encodeAddrGenModeNone, encodeDelLink, encodeLinkUp, encodeNewMacvlan } from './rtnl-link';

const EEXIST = 17;
const ENODEV = 19;
const conf = (iface: string, key: string, family: 4 | 6 = 4) =>
  `/proc/sys/net/ipv${family}/conf/${iface}/${key}`;

function readSysctl(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}
function writeSysctl(path: string, v: number) {
  try {
    writeFileSync(path, `${v}\n`);
  } catch {
    /* an interface gone meanwhile: nothing to set or put back */
  }
}

export class VmacLinux {
  private nl?: number;
  private seq = 1;
  /** per base interface: how many IPv4 vmacs use it and its ARP settings before the first */
  private readonly bases = new Map<string, { n: number; arpIgnore?: number; arpFilter?: number }>();
  /** keepalived's rp_filter dance (man page, use_vmac NOTE), undone with the last IPv4 vmac */
  private rp?: { n: number; all: number; dflt?: number; ifaces: Map<string, number> };
  /** the IPv4 vmacs whose sysctls (and their base's) we set */
  private readonly tuned = new Set<string>();

  private talk(req: Uint8Array, seq: number, what: string, ok: number[] = []) {
    const n = native();
    if (this.nl === undefined) this.nl = n.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    n.sendto(this.nl, Buffer.from(req), sockaddrNl());
    const buf = Buffer.alloc(8192);
    for (let tries = 0; tries < 16; tries++) {
      const len = n.recv(this.nl, buf, 1000);
      if (len < 0) throw new Error(`netlink: no answer for ${what}`);
      const err = decodeAck(buf.subarray(0, len), seq);
      if (err === undefined) continue;
      if (err === 0 || ok.includes(err)) return err;
      throw new Error(`netlink: ${what}: errno ${err}`);
    }
    throw new Error(`netlink: no answer for ${what}`);
  }

  /** an existing interface `name` that is a macvlan-like upper of `base` with `mac` */
  private matches(spec: VmacSpec): boolean {
    const dir = `/sys/class/net/${spec.name}`;
    try {
      const mac = readFileSync(`${dir}/address`, 'utf8').trim().toLowerCase();
      return mac === spec.mac.toLowerCase() && existsSync(`${dir}/lower_${spec.base}`);
    } catch {
      return false;
    }
  }

  create(spec: VmacSpec): { created: boolean } {
    const n = native();
    const base = n.ifindex(spec.base);
    if (!base) throw new Error(`VMAC ${spec.name}: no base interface ${spec.base}`);
    let created = false;
    if (n.ifindex(spec.name)) {
      // keepalived takes over a matching VMAC left by an earlier run; anything else is not ours
      if (!this.matches(spec))
        throw new Error(
          `VMAC ${spec.name}: an interface of that name exists and is not a macvlan on ${spec.base} with ${spec.mac}`,
        );
    } else {
      const seq = this.seq++;
      const req = encodeNewMacvlan({ seq, name: spec.name, link: base, mac: parseMac(spec.mac) });
      created = this.talk(req, seq, `creating VMAC ${spec.name}`, [EEXIST]) === 0;
    }
    const index = n.ifindex(spec.name);
    if (!index) throw new Error(`VMAC ${spec.name}: not there after creating it`);
    if (spec.family === 4 && !this.tuned.has(spec.name)) this.setIpv4Sysctls(spec);
    writeSysctl(conf(spec.name, 'disable_ipv6', 6), spec.ipv6 ? 0 : 1);
    // before it is up: no EUI-64 link-local from the virtual MAC every router shares
    // (keepalived sets it whatever the family)
    const g = this.seq++;
    this.talk(encodeAddrGenModeNone(g, index), g, `addr_gen_mode none on ${spec.name}`);
    const s = this.seq++;
    this.talk(encodeLinkUp(s, index), s, `bringing ${spec.name} up`);
    if (spec.ipv6 && spec.linkLocal) {
      const a = this.seq++;
      const req = encodeAddrRequest({
        op: 'add',
        ifindex: index,
        address: spec.linkLocal,
        prefix: 64,
        seq: a,
        nodad: true,
      });
      this.talk(req, a, `adding ${spec.linkLocal} to ${spec.name}`, [EEXIST]);
    }
    return { created };
  }

  delete(spec: VmacSpec) {
    const n = native();
    if (spec.family === 4) this.resetIpv4Sysctls(spec);
    const index = n.ifindex(spec.name);
    if (!index || !this.matches(spec)) return; // gone already, or no longer ours
    const seq = this.seq++;
    this.talk(encodeDelLink(seq, index), seq, `removing VMAC ${spec.name}`, [ENODEV]);
  }

  /** keepalived: vmac arp_ignore=1 accept_local=1 rp_filter=0 promote_secondaries=1; base arp_ignore=1 arp_filter=1 */
  private setIpv4Sysctls(spec: VmacSpec) {
    this.tuned.add(spec.name);
    this.clearRpFilter();
    for (const [k, v] of [
      ['arp_ignore', 1],
      ['accept_local', 1],
      ['rp_filter', 0],
      ['promote_secondaries', 1],
    ] as const)
      writeSysctl(conf(spec.name, k), v);
    const b = this.bases.get(spec.base);
    if (b) {
      b.n++;
      return;
    }
    const arpIgnore = readSysctl(conf(spec.base, 'arp_ignore'));
    const arpFilter = readSysctl(conf(spec.base, 'arp_filter'));
    if (arpIgnore !== 1) writeSysctl(conf(spec.base, 'arp_ignore'), 1);
    if (arpFilter !== 1) writeSysctl(conf(spec.base, 'arp_filter'), 1);
    this.bases.set(spec.base, { n: 1, arpIgnore, arpFilter });
  }

  private resetIpv4Sysctls(spec: VmacSpec) {
    if (!this.tuned.delete(spec.name)) return;
    const b = this.bases.get(spec.base);
    if (b && --b.n === 0) {
      this.bases.delete(spec.base);
      if (b.arpIgnore !== undefined) writeSysctl(conf(spec.base, 'arp_ignore'), b.arpIgnore);
      if (b.arpFilter !== undefined) writeSysctl(conf(spec.base, 'arp_filter'), b.arpFilter);
    }
    if (this.rp && --this.rp.n === 0) this.restoreRpFilter();
  }

  /**
   * A VMAC needs rp_filter 0, which all.rp_filter overrides: raise default and
   * every interface to all's value, then set all to 0 (no interface changes behaviour).
   */
  private clearRpFilter() {
    if (this.rp) {
      this.rp.n++;
      return;
    }
    const all = readSysctl(conf('all', 'rp_filter'));
    this.rp = { n: 1, all: all ?? 0, ifaces: new Map() };
    if (!all) return;
    const dflt = readSysctl(conf('default', 'rp_filter'));
    if (dflt !== undefined && dflt < all) {
      this.rp.dflt = dflt;
      writeSysctl(conf('default', 'rp_filter'), all);
    }
    for (const i of readdirSync('/proc/sys/net/ipv4/conf')) {
      if (i === 'all' || i === 'default') continue;
      const v = readSysctl(conf(i, 'rp_filter'));
      if (v !== undefined && v < all) {
        this.rp.ifaces.set(i, v);
        writeSysctl(conf(i, 'rp_filter'), all);
      }
    }
    writeSysctl(conf('all', 'rp_filter'), 0);
  }

  /** put back what clearRpFilter changed, where nobody changed it since */
  private restoreRpFilter() {
    const rp = this.rp!;
    this.rp = undefined;
    if (!rp.all) return;
    if (readSysctl(conf('all', 'rp_filter')) === 0) writeSysctl(conf('all', 'rp_filter'), rp.all);
    if (rp.dflt !== undefined && readSysctl(conf('default', 'rp_filter')) === rp.all)
      writeSysctl(conf('default', 'rp_filter'), rp.dflt);
    for (const [i, v] of rp.ifaces)
      if (readSysctl(conf(i, 'rp_filter')) === rp.all) writeSysctl(conf(i, 'rp_filter'), v);
  }

  close() {
    if (this.nl !== undefined) native().close(this.nl);
    this.nl = undefined;
  }
}
