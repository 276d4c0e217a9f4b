// Runs INSIDE the test VM: IPv6 virtual and real servers and TUN forwarding
// on the kernel's IPVS, carrying real HTTP between the VM's namespaces
// (world.ts, made dual-stack here): NAT and DR to IPv6 real servers, a
// fwmark service of ip_family inet6, IPIP to an IPv4 real server, and the
// mixed case keepalived allows with TUN: an IPv6 virtual server whose IPv4
// real server gets the IPv6 packets in IPv4 (6in4, decapsulated by sit0).
import { strict as assert } from 'node:assert';
import {
  Daemon,
  down,
  fetchName,
  inNs,
  ROOT,
  RS,
  settledStats,
  sh,
  up,
  waitFor,
  WORK,
} from './world';

interface Status {
  checks?: { applies: number; lastApplyMs: number; maxApplyMs: number };
  virtualServers: { id: string; servers: { address: string; up: boolean; inService: boolean }[] }[];
}
const status = (): Status =>
  JSON.parse(
    sh(`${process.execPath} ${ROOT}/bin/keepalive-ts status --json --control ${WORK}/kts.sock`),
  ) as Status;

/** what the director and the real servers saw, for a failure message */
const debug = () =>
  [
    inNs('kd', 'ipvsadm -Lnc'),
    inNs('kd', 'ipvsadm -Ln --stats'),
    inNs('rs1', 'ip -s link show tunl0'),
    inNs('rs2', 'ip -s link show sit0'),
    inNs('rs2', 'ip -s -d link'),
    inNs('rs1', 'ip addr'),
    inNs(
      'rs1',
      'sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.tunl0.rp_filter net.ipv4.conf.lo.rp_filter net.ipv4.conf.eth0.rp_filter',
    ),
    inNs('dc', 'ip neigh'),
    inNs('kd', 'ip addr show dev eth0'),
    inNs('rs2', 'ip addr show dev lo'),
  ].join('\n');

const P = '2001:db8:0';
const NAT6 = `${P}:1::10`;
const FWM6 = `${P}:1::20`;
const DR6 = `${P}:2::195`;
const TUN4 = '198.51.100.196';
const MIX6 = `${P}:2::196`;
const GRE4 = '198.51.100.197';
const RS6 = { rs1: `${P}:2::21`, rs2: `${P}:2::22` } as const;

/** world.ts is IPv4: give every namespace its IPv6 side (nodad: usable at once) */
function dualStack() {
  // the director's IPv6 VIPs deprecated (preferred_lft 0): never the source of its own
  // traffic (health checks), which a real server holding the VIP on lo would take for its own
  const addr = (ns: string, a: string, dev = 'eth0') =>
    inNs(
      ns,
      `ip addr add ${a} dev ${dev}${a.includes(':') ? ' nodad' : ''}${ns === 'kd' && a.endsWith('/128') ? ' preferred_lft 0' : ''}`,
    );
  for (const ns of ['kd', 'rs1', 'rs2', 'cl', 'dc'])
    inNs(ns, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0');
  addr('kd', `${P}:2::11/64`);
  addr('kd', `${P}:1::1/64`, 'eth1');
  inNs('kd', 'sysctl -qw net.ipv6.conf.all.forwarding=1');
  for (const rs of ['rs1', 'rs2'] as const) {
    addr(rs, `${RS6[rs]}/64`);
    inNs(rs, `ip -6 route add default via ${P}:2::11`);
  }
  addr('cl', `${P}:1::100/64`);
  inNs('cl', `ip -6 route add default via ${P}:1::1`);
  addr('dc', `${P}:2::100/64`);
  // the VIPs: local on the director (IPVS takes packets in LOCAL_IN)...
  addr('kd', `${NAT6}/128`, 'eth1');
  addr('kd', `${FWM6}/128`, 'eth1');
  addr('kd', `${DR6}/128`);
  addr('kd', `${MIX6}/128`);
  addr('kd', `${TUN4}/32`);
  addr('kd', `${GRE4}/32`);
  // ...and on the real servers' lo (DR, TUN): IPv6 answers neighbour solicitations only for addresses of the asking link
  for (const rs of ['rs1', 'rs2'] as const) addr(rs, `${DR6}/128`, 'lo');
  // TUN: rs1 decapsulates IPIP on tunl0 (ipip module), rs2 6in4 on sit0 (sit module)
  sh('modprobe ipip && modprobe sit && modprobe ip_gre');
  inNs('rs1', 'ip link set tunl0 up');
  addr('rs1', `${TUN4}/32`, 'lo');
  inNs('rs1', 'sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0');
  inNs('rs2', 'ip link set sit0 up');
  addr('rs2', `${MIX6}/128`, 'lo');
  // and GRE with checksums: Linux drops GRE whose checksum flag differs from the
  // tunnel's (the fallback gre0 has none), so a tunnel of its own with icsum
  inNs('rs2', `ip link add kgre type gre local ${RS.rs2} icsum`);
  inNs('rs2', 'ip link set kgre up');
  inNs('rs2', 'sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.kgre.rp_filter=0');
  addr('rs2', `${GRE4}/32`, 'lo');
  // fwmark 6: the director marks what goes to FWM6:80
  inNs(
    'kd',
    `nft 'add table ip6 vm_mark; add chain ip6 vm_mark pre { type filter hook prerouting priority mangle; }; add rule ip6 vm_mark pre ip6 daddr ${FWM6} tcp dport 80 meta mark set 6'`,
  );
}

const check =
  '    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 1\n    }\n';
const rs = (addr: string, port: number, extra = '') =>
  `  real_server ${addr} ${port} {\n    weight 1\n${extra}${check}  }\n`;
const vs = (head: string, body: string) =>
  `virtual_server ${head} {\n  delay_loop 1\n  lb_algo rr\n${body}}\n`;

const CONF = `global_defs {
  lvs_backend ipvs
}
${vs(`${NAT6} 80`, `  lb_kind NAT\n  protocol TCP\n${rs(RS6.rs1, 8080)}${rs(RS6.rs2, 8080)}`)}
${vs('fwmark 6', `  lb_kind NAT\n  ip_family inet6\n${rs(RS6.rs2, 8080)}`)}
${vs(`${DR6} 80`, `  lb_kind DR\n  protocol TCP\n${rs(RS6.rs1, 80)}${rs(RS6.rs2, 80)}`)}
${vs(`${TUN4} 80`, `  lb_kind TUN\n  protocol TCP\n${rs(RS.rs1, 80, '    lvs_method TUN type ipip\n')}`)}
${vs(`${MIX6} 80`, `  lb_kind TUN\n  protocol TCP\n${rs(RS.rs2, 80)}`)}
${vs(`${GRE4} 80`, `  lb_kind TUN\n  protocol TCP\n${rs(RS.rs2, 80, '    lvs_method TUN type gre csum\n')}`)}
`;

/** `ipvsadm -Sn` lines for the services and destinations this file configures */
const EXPECTED = [
  `-A -t [${NAT6}]:80 -s rr`,
  `-a -t [${NAT6}]:80 -r [${RS6.rs1}]:8080 -m -w 1`,
  `-a -t [${NAT6}]:80 -r [${RS6.rs2}]:8080 -m -w 1`,
  '-A -f 6 -6 -s rr',
  `-a -f 6 -6 -r [${RS6.rs2}]:8080 -m -w 1`,
  `-A -t [${DR6}]:80 -s rr`,
  `-a -t [${DR6}]:80 -r [${RS6.rs1}]:80 -g -w 1`,
  `-a -t [${DR6}]:80 -r [${RS6.rs2}]:80 -g -w 1`,
  `-A -t ${TUN4}:80 -s rr`,
  `-a -t ${TUN4}:80 -r ${RS.rs1}:80 -i -w 1 --tun-type ipip`,
  `-A -t [${MIX6}]:80 -s rr`,
  `-a -t [${MIX6}]:80 -r ${RS.rs2}:80 -i -w 1 --tun-type ipip`,
  `-A -t ${GRE4}:80 -s rr`,
];
/** ipvsadm's spelling of the GRE destination's checksum option, checked apart */
const GRE_DEST = new RegExp(`^-a -t ${GRE4}:80 -r ${RS.rs2}:80 -i -w 1 --tun-type gre .*csum`);
const savedAll = () =>
  inNs('kd', 'ipvsadm -Sn')
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
const saved = () => savedAll().filter((l) => !GRE_DEST.test(l));

const get = (url: string, from: string) => fetchName(`-g '${url}'`, from);

describe('IPv6 and TUN on the kernel IPVS (inside the VM)', function () {
  this.timeout(120_000);
  let daemon: Daemon | undefined;
  before(() => {
    up();
    dualStack();
  });
  after(async () => {
    await daemon?.stop().catch(() => {});
    down();
  });

  it('programs IPv6 services (address and fwmark inet6), IPv6 destinations and TUN destinations', async () => {
    daemon = new Daemon(CONF);
    const t0 = Date.now();
    try {
      await waitFor('IPVS to hold every service and destination', () =>
        EXPECTED.every((l) => saved().includes(l)),
      );
    } catch {
      assert.deepEqual(saved().sort(), [...EXPECTED].sort(), daemon.logText());
    }
    console.log(`      all ${EXPECTED.length} lines in IPVS ${Date.now() - t0} ms after the start`);
    assert.deepEqual(saved().sort(), [...EXPECTED].sort());
    assert.ok(
      savedAll().some((l) => GRE_DEST.test(l)),
      `the GRE destination with checksums:\n${savedAll().join('\n')}`,
    );
    console.log(`      ${savedAll().find((l) => GRE_DEST.test(l))}`);
    assert.doesNotMatch(daemon.logText(), /error/i);
    // the traffic tests below need every real server in service (checks in a slow VM may lag)
    await waitFor(
      'every real server in service',
      () => status().virtualServers.every((v) => v.servers.every((x) => x.inService)),
      30_000,
    ).catch(() => assert.fail(`${JSON.stringify(status())}\n${daemon!.logText()}`));
    const c = status().checks;
    if (c)
      console.log(
        `      dataplane: ${c.applies} applies, last ${c.lastApplyMs} ms, max ${c.maxApplyMs} ms`,
      );
  });

  it('carries HTTP from an IPv6 client through the IPv6 NAT service to both IPv6 real servers', () => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const n = get(`http://[${NAT6}]:80/`, 'cl');
      seen[n] = (seen[n] ?? 0) + 1;
    }
    assert.deepEqual(seen, { rs1: 3, rs2: 3 }, `rr over 6 connections\n${daemon!.logText()}`);
    assert.equal(get(`http://[${FWM6}]:80/`, 'cl'), 'rs2', 'fwmark 6 of ip_family inet6');
  });

  it('carries HTTP through the IPv6 DR service: the real servers answer the client directly', async () => {
    const seen = new Set(Array.from({ length: 4 }, () => get(`http://[${DR6}]/`, 'dc')));
    assert.deepEqual([...seen].sort(), ['rs1', 'rs2'], daemon!.logText());
    // four connections, and the director saw no reply packet (IPVS folds its counters every 2 s)
    const stats = [...(await settledStats())].filter(([k]) => k.startsWith(`TCP [${DR6}]:80 ->`));
    assert.equal(stats.length, 2, JSON.stringify(stats));
    assert.equal(
      stats.reduce((n, [, v]) => n + v.conns, 0),
      4,
      JSON.stringify(stats),
    );
    assert.ok(
      stats.every(([, v]) => v.inPkts > 0 && v.outPkts === 0),
      JSON.stringify(stats),
    );
  });

  it('TUN (ipip): an IPv4 real server gets the client packets in IPIP and answers directly', () => {
    assert.equal(get(`http://${TUN4}/`, 'dc'), 'rs1', debug());
    const conns = inNs('kd', 'ipvsadm -Lnc');
    assert.match(
      conns,
      new RegExp(`198\\.51\\.100\\.100:\\d+\\s+${TUN4}:80\\s+${RS.rs1}:80`),
      conns,
    );
  });

  it('TUN across families: the IPv6 virtual server reaches its IPv4 real server (6in4)', () => {
    const n = Array.from({ length: 3 }, () => get(`http://[${MIX6}]/`, 'dc'));
    assert.deepEqual(n, ['rs2', 'rs2', 'rs2'], debug());
    const rx = inNs('rs2', 'cat /sys/class/net/sit0/statistics/rx_packets');
    assert.ok(Number(rx) > 0, `sit0 decapsulated ${rx} packets`);
  });

  it('TUN (gre, checksums): the real server decapsulates GRE and answers directly', () => {
    assert.equal(get(`http://${GRE4}/`, 'dc'), 'rs2', debug());
    const rx = inNs('rs2', 'cat /sys/class/net/kgre/statistics/rx_packets');
    assert.ok(Number(rx) > 0, `kgre decapsulated ${rx} packets`);
  });

  it('SIGTERM removes the IPv6 and TUN services it created', async () => {
    await daemon!.stop();
    assert.deepEqual(savedAll(), []);
  });
});
