// Inside the test VM (never on the host: it creates bridges in the root
// namespace, which inside the VM is the VM's own): a director `kd` between
// a client segment (203.0.113.0/24) and a real-server segment
// (198.51.100.0/24), two real servers with HTTP on :80 (the seed's DR
// service checks it) and :8080 (NAT services), and helpers to read IPVS.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isAlive, sleep, startDetached } from '../../../scripts/lab/sys';

export const ROOT = path.resolve(__dirname, '../../../..');
const BIN = path.join(ROOT, 'bin/keepalive-ts');
export const WORK = '/tmp/kts-vm';
export const NAT_VIP = '203.0.113.10';
/** the seed's VIP, moved into the lab subnet */
export const DR_VIP = '198.51.100.195';
const NAMESPACES = ['kd', 'rs1', 'rs2', 'cl', 'dc'];
export const RS = { rs1: '198.51.100.193', rs2: '198.51.100.194' } as const;
export type RsName = keyof typeof RS;

export function sh(cmd: string, input?: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', input, timeout: 30_000 });
  } catch (e) {
    const x = e as { status?: number; stderr?: string; stdout?: string };
    throw new Error(`${cmd}: exit ${x.status}: ${(x.stderr || x.stdout || '').trim()}`);
  }
}
export const inNs = (ns: string, cmd: string) => sh(`ip netns exec ${ns} ${cmd}`);

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 30_000,
  stepMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await sleep(stepMs);
  }
}

const pids: number[] = [];
function detached(cmd: string, logFile: string): number {
  const pid = startDetached('sh', ['-c', `exec ${cmd} >${logFile} 2>&1 </dev/null`]);
  pids.push(pid);
  return pid;
}

function veth(ns: string, dev: string, bridge: string, addr: string, gw?: string) {
  const host = `${ns}-${dev}`;
  sh(`ip link add ${host} type veth peer name ${dev} netns ${ns}`);
  sh(`ip link set ${host} master ${bridge} up`);
  inNs(ns, `ip addr add ${addr} dev ${dev}`);
  inNs(ns, `ip link set ${dev} up`);
  if (gw) inNs(ns, `ip route add default via ${gw}`);
}

/** Real servers' HTTP daemons by name and port, so a test can stop and restart one. */
const httpd = new Map<string, number>();
export function startHttp(rs: RsName, port: number) {
  const dir = `${WORK}/www-${rs}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/index.html`, `${rs}\n`);
  httpd.set(
    `${rs}:${port}`,
    detached(
      `ip netns exec ${rs} busybox httpd -f -p ${port} -h ${dir}`,
      `${WORK}/httpd-${rs}-${port}.log`,
    ),
  );
}
export function stopHttp(rs: RsName, port: number) {
  const pid = httpd.get(`${rs}:${port}`);
  if (pid) process.kill(pid, 'SIGKILL');
  httpd.delete(`${rs}:${port}`);
}

export function up() {
  mkdirSync(WORK, { recursive: true });
  for (const ns of NAMESPACES) {
    sh(`ip netns add ${ns}`);
    inNs(ns, 'ip link set lo up');
  }
  for (const br of ['br-rs', 'br-cl']) sh(`ip link add ${br} type bridge && ip link set ${br} up`);
  veth('kd', 'eth0', 'br-rs', '198.51.100.11/24');
  veth('kd', 'eth1', 'br-cl', '203.0.113.1/24');
  inNs('kd', 'sysctl -qw net.ipv4.ip_forward=1');
  veth('rs1', 'eth0', 'br-rs', `${RS.rs1}/24`, '198.51.100.11');
  veth('rs2', 'eth0', 'br-rs', `${RS.rs2}/24`, '198.51.100.11');
  veth('cl', 'eth0', 'br-cl', '203.0.113.100/24', '203.0.113.1');
  // a client on the real servers' segment for the seed's DR service
  veth('dc', 'eth0', 'br-rs', '198.51.100.100/24');
  // DR real servers: the VIP on lo, hidden from ARP
  for (const rs of ['rs1', 'rs2']) {
    inNs(rs, `ip addr add ${DR_VIP}/32 dev lo`);
    inNs(rs, 'sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.eth0.arp_ignore=1');
    inNs(rs, 'sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2');
  }
  for (const rs of ['rs1', 'rs2'] as const) for (const port of [80, 8080]) startHttp(rs, port);
}

export function down() {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const ns of NAMESPACES) sh(`ip netns del ${ns} 2>/dev/null || true`);
  sh('ip link del br-rs 2>/dev/null; ip link del br-cl 2>/dev/null; true');
}

/** The seed's configuration with its addresses moved into the lab subnet, and extra text appended. */
export function seedConfig(opts: { backend?: string; extra?: string }): string {
  let conf = readFileSync(path.join(ROOT, 'test/fixtures/seed-master.conf'), 'utf8').replaceAll(
    '192.168.22.',
    '198.51.100.',
  );
  if (opts.backend)
    conf = conf.replace(/global_defs \{/, `global_defs {\nlvs_backend ${opts.backend}`);
  return conf + (opts.extra ?? '');
}

/** keepalive-ts on the director; stop() sends SIGTERM and waits for it to exit. */
export class Daemon {
  readonly pid: number;
  readonly conf = `${WORK}/keepalived.conf`;
  readonly log = `${WORK}/daemon.log`;
  constructor(text: string) {
    writeFileSync(this.conf, text);
    this.pid = detached(
      `ip netns exec kd ${process.execPath} ${BIN} -f ${this.conf} -n -l --control ${WORK}/kts.sock`,
      this.log,
    );
  }
  reload(text: string) {
    writeFileSync(this.conf, text);
    process.kill(this.pid, 'SIGHUP');
  }
  logText() {
    return readFileSync(this.log, 'utf8');
  }
  async stop() {
    if (!isAlive(this.pid)) return;
    process.kill(this.pid, 'SIGTERM');
    await waitFor('the daemon to exit after SIGTERM', () => !isAlive(this.pid), 20_000);
  }
}

export interface IpvsDestRow {
  address: string;
  port: number;
  method: 'NAT' | 'DR' | 'TUN';
  weight: number;
}
export interface IpvsServiceRow {
  scheduler: string;
  persistence?: number;
  netmask?: string;
  dests: IpvsDestRow[];
}

/** The director's IPVS table, from `ipvsadm -Sn` output (read now unless given). */
export function ipvsTable(saved = inNs('kd', 'ipvsadm -Sn')): Map<string, IpvsServiceRow> {
  const out = new Map<string, IpvsServiceRow>();
  const PROTO: Record<string, string> = { '-t': 'TCP', '-u': 'UDP', '--sctp-service': 'SCTP' };
  const METHOD: Record<string, IpvsDestRow['method']> = { '-m': 'NAT', '-g': 'DR', '-i': 'TUN' };
  for (const line of saved.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t[0] !== '-A' && t[0] !== '-a') continue;
    const key = `${PROTO[t[1]] ?? t[1]} ${t[2]}`;
    const opt = (o: string) => {
      const i = t.indexOf(o);
      return i < 0 ? undefined : t[i + 1];
    };
    if (t[0] === '-A') {
      out.set(key, {
        scheduler: opt('-s')!,
        ...(opt('-p') ? { persistence: Number(opt('-p')) } : {}),
        ...(opt('-M') ? { netmask: opt('-M') } : {}),
        dests: [],
      });
    } else {
      const [address, port] = opt('-r')!.split(':');
      const method = Object.entries(METHOD).find(([f]) => t.includes(f))?.[1] ?? 'DR';
      out.get(key)!.dests.push({ address, port: Number(port), method, weight: Number(opt('-w')) });
    }
  }
  for (const s of out.values()) s.dests.sort((a, b) => a.address.localeCompare(b.address));
  return out;
}

/** Per destination ("svc -> addr:port"): connections, packets in and out from `ipvsadm -Ln --stats --exact`. */
export function ipvsStats(): Map<string, { conns: number; inPkts: number; outPkts: number }> {
  const out = new Map<string, { conns: number; inPkts: number; outPkts: number }>();
  let svc = '';
  for (const line of inNs('kd', 'ipvsadm -Ln --stats --exact').split('\n')) {
    const s = /^(TCP|UDP|SCTP)\s+(\S+)\s+\d+/.exec(line);
    if (s) {
      svc = `${s[1]} ${s[2]}`;
      continue;
    }
    const d = /^\s+->\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line);
    if (d && svc)
      out.set(`${svc} -> ${d[1]}`, {
        conns: Number(d[2]),
        inPkts: Number(d[3]),
        outPkts: Number(d[4]),
      });
  }
  return out;
}

/** Per destination: total connections (see settledStats). */
export function ipvsConnCounters(): Map<string, number> {
  return new Map([...ipvsStats()].map(([k, v]) => [k, v.conns]));
}

/**
 * IPVS folds its per-CPU counters into what `--stats` shows only on its 2 s
 * estimator tick: wait one tick so the counters include all traffic so far.
 */
export async function settledStats() {
  await sleep(2200);
  return ipvsStats();
}

/** One HTTP request from the client; the name of the real server that answered, or '' */
export function fetchName(url: string, from = 'cl'): string {
  try {
    return inNs(from, `curl -s -m 3 ${url}`).trim();
  } catch {
    return '';
  }
}
