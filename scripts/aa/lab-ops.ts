// What the active-active measurements do to the lab (the I/O edge): the
// survival agent on the client, the router's route events, a director's death
// at its switch port, drain and undrain through keepalive-ts, and BFD turned
// on or off on the router and every director by re-rendering BIRD's config
// and `birdc configure`. Times are epoch ms on this machine's clock (the lab's
// namespaces share it).
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { daemonControl } from '../../components/plan';
import { renderBgp } from '../../components/render-bgp';
import type { ClusterSpec } from '../../components/spec';
import { AA_REVIVE, aaKillCommand } from '../../verify/bounds-aa';
import { parseRouteEvent, type RouteEvent } from '../../verify/route-events';
import type { Lab } from '../lab/lab';
import { run } from '../lab/sys';
import type { ConnRecord } from './survival-judge';

export const nowMs = () => performance.timeOrigin + performance.now();
const AGENT = path.join(__dirname, 'survival-agent.js');

/** Lines of a child's stdout, as they come. */
function onLines(c: ChildProcess, f: (l: string) => void) {
  let buf = '';
  c.stdout!.on('data', (d) => {
    buf += String(d);
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      f(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

/** The survival agent on the client (`cl`): resolves once all `connections` are up. */
export async function startSurvival(
  lab: Lab,
  vip: string,
  port: number,
  o: { connections: number; intervalMs: number; maxSeconds: number },
) {
  const [bin, ...args] = await lab.hostArgv('cl', [
    process.execPath,
    AGENT,
    vip,
    String(port),
    String(o.connections),
    String(o.intervalMs),
    String(o.maxSeconds),
  ]);
  const c = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let result: { end: number; conns: ConnRecord[] } | undefined;
  const done = new Promise<void>((resolve) => c.on('exit', () => resolve()));
  const up = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('survival agent: not up within 15 s')), 15_000);
    onLines(c, (l) => {
      if (l.startsWith('R ')) {
        clearTimeout(timer);
        resolve(Number(l.slice(2)));
      } else if (l.startsWith('{')) result = JSON.parse(l) as typeof result;
    });
    c.on('exit', (code) => reject(new Error(`survival agent exited (${code}) before it was up`)));
  });
  return {
    up,
    async stop() {
      c.stdin!.end();
      await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
      if (!result) {
        c.kill('SIGKILL');
        throw new Error('survival agent: no record');
      }
      return result;
    },
  };
}

/** gw's VIP route events (its clock = ours), until stop(). */
export function watchRoutes(lab: Lab, vip: string) {
  const events: RouteEvent[] = [];
  const c = spawn('ip', ['-n', lab.host('gw').ns, '-ts', '-o', 'monitor', 'route'], {
    env: { ...process.env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  onLines(c, (l) => {
    const e = parseRouteEvent(l, vip);
    if (e) events.push(e);
  });
  return { events, stop: () => void c.kill() };
}

/** gw's VIP next hops now. */
export async function routeNow(lab: Lab, vip: string): Promise<string[]> {
  const r = await run('ip', ['-n', lab.host('gw').ns, '-o', '-4', 'route', 'show', `${vip}/32`]);
  return parseRouteEvent(`[1970-01-01T00:00:00] ${r.stdout.trim()}`, vip)?.nexthops ?? [];
}

/** Wait (bounded) until gw's VIP route lists exactly `addresses`; the time it took (ms) or undefined. */
export async function waitForRoute(
  lab: Lab,
  vip: string,
  addresses: readonly string[],
  timeoutMs: number,
): Promise<number | undefined> {
  const t0 = nowMs();
  const want = [...addresses].sort().join(',');
  while (nowMs() - t0 < timeoutMs) {
    if ((await routeNow(lab, vip)).sort().join(',') === want) return nowMs() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

/**
 * A director's death: its switch port goes down. The time is taken by the
 * shell right before `ip` runs, in the switch's namespace.
 */
export async function portDown(lab: Lab, host: string, down: boolean): Promise<number> {
  const port = lab.host(host).ifaces[0].port;
  const r = await run('sh', [
    '-c',
    `date +%s%N; ip -n ${lab.topo.switchNs} link set ${port} ${down ? 'down' : 'up'}`,
  ]);
  if (r.code !== 0) throw new Error(`switch port ${port} ${down ? 'down' : 'up'}: ${r.stderr}`);
  return Number(BigInt(r.stdout.trim().split('\n')[0]) / 1000n) / 1000;
}

/** Run a shell command inside a lab host; throws with its stderr. */
export async function labSh(lab: Lab, host: string, cmd: string, input?: string) {
  const r = await lab.exec(host, ['sh', '-c', cmd], { timeoutMs: 15_000, input });
  if (r.code !== 0)
    throw new Error(`${host}: ${cmd}: exit ${r.code} (or killed after 15 s): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * keepalive-ts drain / undrain on a director (its control socket); the time
 * the command started (so the router's time includes the CLI's start-up).
 */
export async function drain(lab: Lab, spec: ClusterSpec, host: string, on: boolean) {
  const ctl = daemonControl(spec);
  const cmd = on ? ctl.drain : ctl.undrain;
  if (!cmd) throw new Error('drain needs keepalive-ts');
  const t = nowMs();
  await labSh(lab, host, cmd);
  return t;
}

/**
 * BFD on or off everywhere: each director's and the router's BIRD config
 * rendered again from the declaration with bfd.enabled flipped, written in
 * place and applied by `birdc configure` (BGP sessions stay up).
 */
export async function setBfd(lab: Lab, spec: ClusterSpec, stack: string, enabled: boolean) {
  if (!spec.bgp) throw new Error('setBfd: no bgp block');
  const flipped: ClusterSpec = { ...spec, bgp: { ...spec.bgp, bfd: { ...spec.bgp.bfd, enabled } } };
  const r = renderBgp(flipped, stack);
  if (!r) throw new Error('setBfd: not an active-active declaration');
  const sock = spec.bgp.controlSocket;
  const apply = async (host: string, file: { path: string; content: string }) => {
    const out = await labSh(
      lab,
      host,
      `cat > ${file.path}.aa && bird -p -c ${file.path}.aa && mv ${file.path}.aa ${file.path} && birdc -s ${sock} configure`,
      file.content,
    );
    if (!/Reconfigur/.test(out)) throw new Error(`${host}: birdc configure: ${out.trim()}`);
  };
  await Promise.all([
    ...r.directors.map((d) => apply(d.name, d.bird)),
    apply(spec.bgp.router.name ?? 'gw', r.router.bird),
  ]);
}

/** BIRD's BGP session state on a host (`birdc show protocols`): name -> state/info. */
export async function bgpSessions(lab: Lab, host: string, socket: string) {
  const out = await labSh(lab, host, `birdc -s ${socket} show protocols`);
  return out
    .split('\n')
    .filter((l) => /\sBGP\s/.test(l))
    .map((l) => l.trim().split(/\s+/))
    .map((f) => ({ name: f[0], state: f[3], info: f.slice(5).join(' ') }));
}

/**
 * Which director carries the client's flows: an nft counter of packets to
 * VIP:port in each director's ingress hook (ahead of the DR dataplane), read
 * before and after a measurement.
 */
const COUNT_TABLE = 'keepalive_aa_count';
export async function countFlows(lab: Lab, spec: ClusterSpec) {
  const vip = spec.vip.split('/')[0];
  const rules = [
    `add table netdev ${COUNT_TABLE}`,
    `add chain netdev ${COUNT_TABLE} in { type filter hook ingress device "${spec.interface}" priority -10; }`,
    `add rule netdev ${COUNT_TABLE} in ip daddr ${vip} tcp dport ${spec.services[0].port} counter`,
    // frames for another host's MAC (a switch flooding after a port went down): the DR
    // ingress hook sees them too
    `add rule netdev ${COUNT_TABLE} in ip daddr ${vip} tcp dport ${spec.services[0].port} meta pkttype other counter`,
  ];
  for (const d of spec.directors)
    await labSh(
      lab,
      d.name,
      `nft delete table netdev ${COUNT_TABLE} 2>/dev/null; nft -f -`,
      rules.join('\n') + '\n',
    );
}
export async function uncountFlows(lab: Lab, spec: ClusterSpec) {
  for (const d of spec.directors)
    await labSh(lab, d.name, `nft delete table netdev ${COUNT_TABLE} 2>/dev/null; true`).catch(
      () => {},
    );
}
/** Packets counted so far on each director (by name); `otherHost`: those of them sent to another MAC. */
export async function packetCounts(
  lab: Lab,
  spec: ClusterSpec,
  which: 'all' | 'otherHost' = 'all',
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const d of spec.directors) {
    const text = await labSh(lab, d.name, `nft list table netdev ${COUNT_TABLE}`);
    const counters = [...text.matchAll(/packets (\d+)/g)].map((m) => Number(m[1]));
    out[d.name] = counters[which === 'all' ? 0 : 1] ?? 0;
  }
  return out;
}

/**
 * A director silenced on the box itself (the verification's kill: nftables
 * drops all but SSH, ahead of the dataplane): its switch port stays up, so
 * the switch keeps delivering frames for it there instead of flooding them.
 */
export async function silence(lab: Lab, spec: ClusterSpec, host: string, on: boolean) {
  const t = nowMs();
  await labSh(lab, host, on ? aaKillCommand(spec.interface, 120) : AA_REVIVE);
  return t;
}
/** Each director's share of the packets counted between two readings (fractions; 0s when none). */
export function shares(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
  const total = Object.values(delta).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, total ? v / total : 0]));
}

/**
 * The client's TCP re-hashing on retransmission timeouts (net.core.txrehash,
 * per namespace). The lab's router shares the client's kernel and its ECMP
 * takes the socket's hash as the flow's (skb->l4_hash), so with re-hashing a
 * retransmission may take another director: a real router hashes the
 * headers and never does. Off for the measurements; returns the value it had.
 */
export async function setClientTxRehash(lab: Lab, value: string): Promise<string> {
  const before = (await labSh(lab, 'cl', 'sysctl -n net.core.txrehash')).trim();
  await labSh(lab, 'cl', `sysctl -q -w net.core.txrehash=${value}`);
  return before;
}
