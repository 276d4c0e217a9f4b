// Helpers for VRRP tests and benchmarks in the lab: run keepalive-ts ("ks") or Debian
// keepalived ("kd") on a lab host, capture VRRP/ARP on a host with tshark,
// and measure takeovers from the captured packet timestamps.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Lab } from './lab';
import { sleep, waitFor } from './sys';

export const ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(ROOT, 'bin/keepalive-ts');
export const VIP = '198.51.100.10';
/** the IPv6 VIP on the lab's primary segment (2001:db8:0:1::/64) */
export const VIP6 = '2001:db8:0:1::10';

export type Kind = 'ks' | 'kd';

export interface ConfOptions {
  priority: number;
  version: 2 | 3;
  advertInt: number;
  unicast?: { self: string; peer: string };
  vrid?: number;
  pass?: string;
  extra?: string;
  global?: string;
  /** the virtual address with its prefix (default VIP/24) */
  vip?: string;
}

export function vrrpConf(o: ConfOptions): string {
  const auth =
    o.version === 2
      ? `  authentication {\n    auth_type PASS\n    auth_pass ${o.pass ?? 'lab1234'}\n  }\n`
      : '';
  const uni = o.unicast
    ? `  unicast_src_ip ${o.unicast.self}\n  unicast_peer {\n    ${o.unicast.peer}\n  }\n`
    : '';
  return (
    `global_defs {\n  router_id lab\n  vrrp_version ${o.version}\n${o.global ?? ''}}\n` +
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface lan0\n  virtual_router_id ${o.vrid ?? 51}\n  priority ${o.priority}\n` +
    `  advert_int ${o.advertInt}\n${auth}${uni}  virtual_ipaddress {\n    ${o.vip ?? `${VIP}/24`}\n  }\n${o.extra ?? ''}}\n`
  );
}

export class LabDaemon {
  pid?: number;
  /** the address a crashed daemon leaves behind, removed by recover() */
  vipCidr = `${VIP}/24`;
  /** extra command-line arguments (e.g. -I) */
  extraArgs: string[] = [];
  /** keepalived's subsystems: VRRP only by default (no IPVS here); [] also runs its BFD child */
  kdModes: string[] = ['--vrrp'];
  constructor(
    readonly lab: Lab,
    readonly host: string,
    readonly kind: Kind,
    public conf: string,
  ) {}

  private get base() {
    return `/run/${this.kind}`;
  }
  get control() {
    return `${this.base}.sock`;
  }

  async start() {
    const c = `/etc/keepalived/${this.kind}.conf`;
    await this.lab.exec(this.host, ['sh', '-c', `mkdir -p /etc/keepalived && cat > ${c}`], {
      input: this.conf,
    });
    const cmd =
      this.kind === 'ks'
        ? `${process.execPath} ${BIN} -f ${c} -n -l -p ${this.base}.pid --control ${this.control} ${this.extraArgs.join(' ')}`
        : `keepalived ${this.kdModes.join(' ')} -n -l -D -f ${c} -p ${this.base}.pid -r ${this.base}-vrrp.pid -b ${this.base}-bfd.pid -i ${this.host}`;
    await this.lab.exec(this.host, [
      'sh',
      '-c',
      `rm -f ${this.base}*.pid; setsid ${cmd} > ${this.base}.log 2>&1 < /dev/null &`,
    ]);
    await waitFor(`${this.kind} on ${this.host}`, async () => {
      const r = await this.lab.exec(this.host, ['cat', `${this.base}.pid`]);
      if (r.code !== 0 || !r.stdout.trim()) return false;
      this.pid = Number(r.stdout.trim());
      return true;
    });
    if (this.kind === 'ks') {
      // ready when the control socket answers
      await waitFor(
        `${this.host} control socket`,
        async () => (await this.lab.exec(this.host, ['test', '-S', this.control])).code === 0,
      );
    }
  }

  async alive(): Promise<boolean> {
    if (!this.pid) return false;
    return (await this.lab.exec(this.host, ['kill', '-0', String(this.pid)])).code === 0;
  }

  /** SIGTERM and wait for the process to exit. */
  async term() {
    if (!this.pid) return;
    await this.lab.exec(this.host, ['kill', '-TERM', String(this.pid)]);
    await waitFor(
      `${this.kind} on ${this.host} to exit`,
      async () => !(await this.alive()),
      10_000,
    );
    this.pid = undefined;
  }

  /** SIGKILL the whole process group (no priority-0 advert) and take the link down. */
  async crash() {
    if (!this.pid) return;
    await this.lab.exec(this.host, ['sh', '-c', `kill -9 -${this.pid}; ip link set lan0 down`]);
    this.pid = undefined;
  }

  /** After a crash: link up again and remove the VIP the dead daemon left behind. */
  async recover() {
    await this.lab.exec(this.host, [
      'sh',
      '-c',
      `ip addr del ${this.vipCidr} dev lan0 2>/dev/null; ip link set lan0 up`,
    ]);
  }

  async log(): Promise<string> {
    return (await this.lab.exec(this.host, ['cat', `${this.base}.log`])).stdout;
  }

  async status(): Promise<{
    instances: { state: string; counters: { drops: Record<string, number> } }[];
  }> {
    const r = await this.lab.exec(this.host, [
      process.execPath,
      BIN,
      'status',
      '--json',
      '--control',
      this.control,
    ]);
    if (r.code !== 0) throw new Error(`status on ${this.host}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  async stop() {
    if (this.pid && (await this.alive())) await this.term();
  }
}

export async function holders(lab: Lab, hosts: string[], vip = VIP): Promise<string[]> {
  const out: string[] = [];
  for (const h of hosts) {
    const r = await lab.exec(h, ['ip', '-o', 'addr', 'show', 'dev', 'lan0']);
    if (r.stdout.includes(` ${vip}/`)) out.push(h);
  }
  return out;
}

/** Sample the VIP holders `n` times; every sample must show exactly one holder. */
export async function assertSingleHolder(
  lab: Lab,
  hosts: string[],
  n = 10,
  everyMs = 50,
  vip = VIP,
): Promise<string> {
  let who = '';
  for (let i = 0; i < n; i++) {
    const h = await holders(lab, hosts, vip);
    if (h.length !== 1) throw new Error(`expected exactly one VIP holder, found [${h.join(', ')}]`);
    if (who && who !== h[0]) throw new Error(`VIP moved from ${who} to ${h[0]} in steady state`);
    who = h[0];
    await sleep(everyMs);
  }
  return who;
}

export interface Pkt {
  t: number;
  src: string;
  prio?: number;
  arp?: string;
  checksumGood?: boolean;
  /** the Ethernet source */
  eth?: string;
  /** ARP: the sender hardware address */
  arpMac?: string;
}

/** tshark on a host's lan0: VRRP adverts and ARP (IPv6: neighbour advertisements), with capture timestamps. */
export class Capture {
  readonly pkts: Pkt[] = [];
  private child?: ChildProcess;
  constructor(
    /** a lab, or anything that names the namespace of a host (a test's own netns) */
    readonly lab: { host(name: string): { ns: string } },
    readonly host: string,
    readonly family: 4 | 6 = 4,
    /** a capture filter instead of all VRRP and ARP (a flood must not reach tshark) */
    readonly filter?: string,
  ) {}

  async start() {
    const ns = this.lab.host(this.host).ns;
    this.child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'tshark',
        '-i',
        'lan0',
        '-l',
        '-n',
        '-f',
        this.filter ?? (this.family === 6 ? 'ip6 proto 112 or icmp6' : 'ip proto 112 or arp'),
        '-T',
        'fields',
        '-E',
        'separator=|',
        '-e',
        'frame.time_epoch',
        '-e',
        this.family === 6 ? 'ipv6.src' : 'ip.src',
        '-e',
        'vrrp.prio',
        '-e',
        this.family === 6 ? 'icmpv6.nd.na.target_address' : 'arp.src.proto_ipv4',
        '-e',
        'vrrp.checksum.status',
        '-e',
        'eth.src',
        '-e',
        'arp.src.hw_mac',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let buf = '';
    let ready = false;
    this.child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const [t, src, prio, arp, ck, eth, arpMac] = buf.slice(0, nl).split('|');
        buf = buf.slice(nl + 1);
        this.pkts.push({
          t: Number(t) * 1000,
          src,
          ...(prio ? { prio: Number(prio) } : {}),
          ...(arp ? { arp } : {}),
          ...(ck ? { checksumGood: ck === '1' } : {}),
          ...(eth ? { eth } : {}),
          ...(arpMac ? { arpMac } : {}),
        });
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('Capturing on')) ready = true;
    });
    await waitFor('tshark to start', () => ready, 20_000, 50);
    await sleep(200);
  }

  stop() {
    this.child?.kill('SIGTERM');
    this.child = undefined;
  }

  adverts(src: string) {
    return this.pkts.filter((p) => p.src === src && p.prio !== undefined);
  }

  /** Gaps (ms) between consecutive adverts from `src` captured in [from, to] (epoch ms). */
  advertGaps(src: string, from: number, to: number) {
    const ts = this.adverts(src)
      .filter((p) => (p.prio ?? 0) > 0 && p.t >= from && p.t <= to)
      .map((p) => p.t);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]);
    const sorted = [...gaps].sort((a, b) => a - b);
    const q = (f: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? 0;
    return { adverts: ts.length, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? 0 };
  }

  /** tshark prints with some delay: wait until an advert from `src` after `after` has been seen. */
  async waitAdvert(src: string, after: number, timeoutMs = 5000) {
    await waitFor(
      `an advert from ${src} in the capture`,
      () => this.adverts(src).some((p) => p.t >= after && (p.prio ?? 0) > 0),
      timeoutMs,
      20,
    );
  }
}

export interface Takeover {
  /** ms from the old master's last advert (crash) or its priority-0 advert (clean stop) to the new master's first advert */
  ms: number;
}

/** Measure a takeover in a capture: the new master's first advert after `after` (epoch ms). */
export function measureTakeover(
  cap: Capture,
  oldIp: string,
  newIp: string,
  after: number,
  clean: boolean,
): Takeover {
  const first = cap.adverts(newIp).find((p) => p.t >= after && (p.prio ?? 0) > 0);
  if (!first) throw new Error(`no advert from ${newIp} after the failover`);
  const old = cap.adverts(oldIp).filter((p) => p.t <= first.t);
  const ref = clean
    ? old.filter((p) => p.prio === 0).pop()
    : old.filter((p) => (p.prio ?? 0) > 0).pop();
  if (!ref)
    throw new Error(`no ${clean ? 'priority-0 ' : ''}advert from ${oldIp} before the takeover`);
  return { ms: first.t - ref.t };
}
