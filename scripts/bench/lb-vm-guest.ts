// Runs INSIDE the VM (scripts/bench/lb-vm.ts boots it; IPVS needs Debian's
// kernel). Two measurements, written as JSON to $KTS_VM_OUT/lb.json:
//  1. IPVS apply of a 2,000-real-server table (20 services x 100): a full
//     apply from empty and one change (a weight), keepalive-ts's IPVS backend
//     against `ipvsadm -R` / `ipvsadm -e` (libipvs, as keepalived) doing the same.
//  2. 2,000 real servers with mixed checkers at delay_loop 1 (500 each of
//     TCP_CHECK, HTTP_GET, UDP_CHECK, PING_CHECK): CPU and RSS of keepalive-ts
//     and of keepalived's checker (`keepalived -C`, parent + checker child) on
//     the same config, alternating runs; checks counted at the real servers
//     (the namespace's TCP passive opens, UDP datagrams, ICMP echoes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { IpvsDataplane } from '../../daemon/dataplane/ipvs-backend';
import type { Service } from '../../daemon/dataplane/types';
import { isAlive, sleep, startDetached } from '../lab/sys';
import { ipvsScaleTable, TABLE_VIP } from './ipvs-table';

const ROOT = path.resolve(__dirname, '../../..');
const WORK = '/tmp/kts-lb-bench';
const OUT = process.env.KTS_VM_OUT ?? WORK;
const VIP = TABLE_VIP;
const RS_IP = '198.51.100.21';
const PING_IP = '198.51.100.22';
const TRIALS = 5;
const WINDOW_S = Number(process.env.LB_WINDOW_S ?? 20);
/** real servers per checked virtual server (20 of them): 100 = 2,000 real servers */
const PER_VS = Number(process.env.LB_PER_VS ?? 100);
const TOTAL = 20 * PER_VS;

const sh = (cmd: string, input?: string) =>
  execFileSync('sh', ['-c', cmd], { encoding: 'utf8', input, timeout: 120_000 });
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

// ------------------------------------------------------------ 1. IPVS apply

function ipvsadmRules(services: Service[]): string {
  const lines: string[] = [];
  for (const s of services) {
    lines.push(`-A -t ${s.address}:${s.port} -s ${s.scheduler}`);
    for (const d of s.destinations)
      lines.push(`-a -t ${s.address}:${s.port} -r ${d.address}:${d.port} -m -w ${d.weight}`);
  }
  return lines.join('\n') + '\n';
}

async function applyBench() {
  sh('modprobe ip_vs; modprobe ip_vs_wrr');
  const full = ipvsScaleTable(() => 1);
  const changed = ipvsScaleTable((v, r) => (v === 7 && r === 42 ? 0 : 1));
  const ours = { full: [] as number[], one: [] as number[] };
  const theirs = { full: [] as number[], one: [] as number[] };
  const count = () =>
    sh('ipvsadm -Sn')
      .split('\n')
      .filter((l) => l.startsWith('-a')).length;
  for (let i = 0; i < TRIALS; i++) {
    console.log(`apply trial ${i + 1}`);
    sh('ipvsadm -C');
    const dp = new IpvsDataplane(() => {});
    let t = process.hrtime.bigint();
    await dp.apply(full);
    ours.full.push(ms(t));
    if (count() !== 2000) throw new Error(`keepalive-ts applied ${count()} of 2000 destinations`);
    t = process.hrtime.bigint();
    await dp.apply(changed);
    ours.one.push(ms(t));
    if (!/:10371 -m -w 0/.test(sh('ipvsadm -Sn'))) throw new Error('the weight change is missing');
    await dp.clear();

    sh('ipvsadm -C');
    const rules = ipvsadmRules(full);
    t = process.hrtime.bigint();
    sh('ipvsadm -R', rules);
    theirs.full.push(ms(t));
    if (count() !== 2000) throw new Error(`ipvsadm -R applied ${count()} of 2000 destinations`);
    t = process.hrtime.bigint();
    sh(`ipvsadm -e -t ${VIP}:8007 -r 198.51.100.21:10371 -m -w 0`);
    theirs.one.push(ms(t));
  }
  sh('ipvsadm -C');
  return { trials: TRIALS, ours, ipvsadm: theirs };
}

// ------------------------------------------------------------ 2. checkers

const KINDS = ['TCP_CHECK', 'HTTP_GET', 'UDP_CHECK', 'PING_CHECK'] as const;

function checkerBlock(kind: (typeof KINDS)[number]): string {
  if (kind === 'HTTP_GET')
    return '    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 1\n    }\n';
  return `    ${kind} {\n      connect_timeout 1\n    }\n`;
}

/** 20 virtual servers x PER_VS real servers, 5 per checker type */
export function mixedConfig(): string {
  let c = 'global_defs {\n  router_id lb-bench\n}\n';
  for (let v = 0; v < 20; v++) {
    const kind = KINDS[Math.floor(v / 5)];
    const udp = kind === 'UDP_CHECK';
    c += `virtual_server ${VIP} ${8000 + v} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol ${udp ? 'UDP' : 'TCP'}\n`;
    for (let r = 0; r < PER_VS; r++) {
      const n = (v % 5) * PER_VS + r;
      const [ip, port] =
        kind === 'PING_CHECK'
          ? [PING_IP, 12000 + n]
          : udp
            ? [RS_IP, 11000 + n]
            : [RS_IP, 10000 + (kind === 'HTTP_GET' ? 500 : 0) + n];
      c += `  real_server ${ip} ${port} {\n${checkerBlock(kind)}  }\n`;
    }
    c += '}\n';
  }
  return c;
}

const inKd = (cmd: string) => `ip netns exec kd ${cmd}`;

function world() {
  for (const ns of ['kd', 'rs']) sh(`ip netns add ${ns} && ip -n ${ns} link set lo up`);
  sh('ip link add veth-kd netns kd type veth peer name eth0 netns rs');
  sh('ip -n kd link set veth-kd name eth0 && ip -n kd addr add 198.51.100.11/24 dev eth0');
  sh('ip -n kd link set eth0 up && ip -n rs link set eth0 up');
  sh(`ip -n rs addr add ${RS_IP}/24 dev eth0 && ip -n rs addr add ${PING_IP}/24 dev eth0`);
  // 1,000 checks a second from one address: no ICMP rate limit in the way
  sh('ip netns exec rs sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000');
  sh('ip netns exec kd sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.ping_group_range="0 0"');
  const farm = path.join(ROOT, 'dist/scripts/lab/port-farm.js');
  return startDetached('sh', [
    '-c',
    `exec ip netns exec rs ${process.execPath} ${farm} --addr ${RS_IP} --from 10000 --to 10999 --http --udp-from 11000 --udp-to 11499 >${WORK}/farm.log 2>&1`,
  ]);
}

/** TCP passive opens + UDP datagrams in + ICMP echoes in, at the real servers */
function rsCounters(): number {
  const snmp = sh('ip netns exec rs cat /proc/net/snmp').split('\n');
  const field = (proto: string, name: string) => {
    const [head, vals] = snmp.filter((l) => l.startsWith(`${proto}:`));
    return Number(vals.split(/\s+/)[head.split(/\s+/).indexOf(name)]);
  };
  return field('Tcp', 'PassiveOpens') + field('Udp', 'InDatagrams') + field('Icmp', 'InEchos');
}

const cpuTicks = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
};
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const inTable = () =>
  sh(inKd('ipvsadm -Sn'))
    .split('\n')
    .filter((l) => l.startsWith('-a') && !/ -w 0\b/.test(l)).length;

interface Run {
  cpuMsPerS: number;
  rssMb: number;
  checksPerS: number;
  inService: number;
}

async function measure(name: 'keepalive-ts' | 'keepalived', conf: string): Promise<Run> {
  const log = `${WORK}/${name}.log`;
  const cmd =
    name === 'keepalive-ts'
      ? `${process.execPath} ${ROOT}/bin/keepalive-ts -f ${conf} -n -l -p ${WORK}/kts.pid --control ${WORK}/kts.sock`
      : `keepalived -C -n -f ${conf} -p ${WORK}/kd.pid -c ${WORK}/kdc.pid`;
  const lead = startDetached('sh', ['-c', `exec ${inKd(cmd)} >${log} 2>&1`]);
  try {
    const until = Date.now() + 60_000;
    while (inTable() < TOTAL) {
      if (Date.now() > until || !isAlive(lead))
        throw new Error(
          `${name}: ${inTable()} of ${TOTAL} in IPVS after start:\n${readFileSync(log, 'utf8').slice(-2000)}`,
        );
      await sleep(500);
    }
    await sleep(5000); // warm-up
    const pids =
      name === 'keepalive-ts'
        ? [lead]
        : [lead, Number(readFileSync(`${WORK}/kdc.pid`, 'utf8').trim())];
    const c0 = pids.reduce((n, p) => n + cpuTicks(p), 0);
    const k0 = rsCounters();
    const t0 = Date.now();
    await sleep(WINDOW_S * 1000);
    const c1 = pids.reduce((n, p) => n + cpuTicks(p), 0);
    const k1 = rsCounters();
    const s = (Date.now() - t0) / 1000;
    return {
      cpuMsPerS: ((c1 - c0) * 10) / s, // USER_HZ 100: a tick is 10 ms
      rssMb: pids.reduce((n, p) => n + rssMb(p), 0),
      checksPerS: (k1 - k0) / s,
      inService: inTable(),
    };
  } finally {
    process.kill(lead, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(lead); i++) await sleep(100);
    if (isAlive(lead)) process.kill(lead, 'SIGKILL');
    sh(inKd('ipvsadm -C'));
  }
}

async function main() {
  mkdirSync(WORK, { recursive: true });
  const result: Record<string, unknown> = {};
  if (!process.env.LB_CHECKS_ONLY) result.apply = await applyBench();
  writeFileSync(`${OUT}/lb.json`, JSON.stringify(result));
  if (process.env.LB_APPLY_ONLY) return;
  const farm = world();
  try {
    const conf = `${WORK}/mixed.conf`;
    writeFileSync(conf, mixedConfig());
    await sleep(1500);
    const runs: Record<string, Run[]> = { 'keepalive-ts': [], keepalived: [] };
    for (let i = 0; i < 2; i++)
      for (const name of ['keepalive-ts', 'keepalived'] as const) {
        const r = await measure(name, conf);
        console.log(`${name}: ${JSON.stringify(r)}`);
        runs[name].push(r);
      }
    result.checkers = { windowS: WINDOW_S, realServers: TOTAL, runs };
  } finally {
    process.kill(farm, 'SIGKILL');
    sh('ip netns del kd; ip netns del rs; true');
  }
  writeFileSync(`${OUT}/lb.json`, JSON.stringify(result));
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(1);
});
