// What every scenario of the verification shares: the declaration and what
// follows from it (bounds, roles, daemon control), the hosts (Remote) and
// their clocks, the timeline being recorded, the watchers (VIP address events
// on every director, the client probe) and the daemon's event stream. Hosts are
// reached only through Remote, time only through Clock, so every scenario runs
// against a simulated cluster in the unit tests.
import { shellQuote } from '../daemon/core/argv';
import { sleep, wallClock, type Clock } from '../daemon/core/clock';
import { daemonControl } from '../components/plan';
import type { ClusterSpec } from '../components/spec';
import { deriveBounds, pairRoles, type Bounds } from './bounds';
import {
  DATE_NS,
  estimateOffset,
  parseEpochNs,
  parseIpTimestamp,
  toLocal,
  type ClockSample,
  type HostClock,
} from './clock-sync';
import { parseProbeLine, probeCommand } from './probe';
import type { Remote, Stream } from './remote';
import type { Timeline } from './timeline';

export type { Clock };
/** the verifier's timelines are epoch milliseconds: they are compared with each host's clock */
export const realClock: Clock = wallClock;

export type Scenario = 'preflight' | 'failover' | 'crash' | 'rs' | 'active-active';

export interface VerifyOptions {
  spec: ClusterSpec;
  stack: string;
  remote: Remote;
  clock?: Clock;
  /** host (a name the Remote knows) that runs the client probe; without one, probe steps are skipped */
  probeHost?: string;
  /** active-active: the upstream router (a name the Remote knows), to time its VIP route changes */
  routerHost?: string;
  scenarios?: Scenario[];
  /** link down on the master instead of a clean stop */
  hard?: boolean;
  /** longest any single probe run may last */
  probeSeconds?: number;
  log?: (m: string) => void;
}

/** One line of `keepalive-ts events` (daemon/control/events.ts). */
export interface DaemonEventLine {
  kind: 'instance' | 'real_server' | 'bgp';
  wallTime: number;
  /** bgp: the VIP route announced (true) or withdrawn, when BIRD accepted the toggle */
  announced?: boolean;
  reason?: string;
  realServer?: string;
  up?: boolean;
  to?: string;
}

/**
 * The verifier's temporary nftables table on a real server: one input rule
 * (a counter, or a reject that fails the service), and the command that removes it.
 */
export const VERIFY_TABLE = 'keepalive_verify';
export const verifyTable = (rule: string) =>
  `add table inet ${VERIFY_TABLE}\nadd chain inet ${VERIFY_TABLE} in { type filter hook input priority -10; }\nadd rule inet ${VERIFY_TABLE} in ${rule}\n`;
export const DROP_VERIFY_TABLE = `nft delete table inet ${VERIFY_TABLE} 2>/dev/null; true`;
export const q = shellQuote;
/** a freshly started daemon has its VRRP instance running within this (s) */
export const SETTLE_START_S = 5;

export async function until(
  clock: Clock,
  timeoutMs: number,
  probe: () => boolean | Promise<boolean>,
  stepMs = 20,
) {
  const end = clock.now() + timeoutMs;
  while (clock.now() < end) {
    if (await probe()) return true;
    await sleep(clock, stepMs);
  }
  return probe();
}

export type Ctx = Awaited<ReturnType<typeof createContext>>;

/** The shared state of one verification run; host clocks are synchronised before it returns. */
export async function createContext(o: VerifyOptions) {
  const clock = o.clock ?? realClock;
  const log = o.log ?? (() => {});
  const { spec, remote } = o;
  const bounds: Bounds = deriveBounds(spec);
  const roles = pairRoles(spec);
  const ctl = daemonControl(spec);
  const vip = spec.vip.split('/')[0];
  const port = spec.services[0].port;
  const directors = spec.directors.map((d) => d.name);
  const t0 = clock.now();
  const tl: Timeline = { t0, probes: [], vip: [], marks: [], directors, initialHolders: [] };
  const streams: Stream[] = [];
  /** undo actions, run in reverse at the end whatever happened */
  const cleanups: (() => Promise<unknown>)[] = [];
  const mark = (label: string) => {
    tl.marks.push({ t: clock.now(), label });
    log(label);
  };
  const run = async (host: string, cmd: string) => {
    const r = await remote.run(host, cmd);
    if (r.code !== 0)
      throw new Error(`${host}: ${cmd.split('\n')[0]}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const holders = async () => {
    const out: string[] = [];
    for (const d of directors)
      if (new RegExp(` ${vip.replace(/\./g, '\\.')}/`).test(await run(d, 'ip -o -4 addr show')))
        out.push(d);
    return out;
  };
  // ---- host clocks: every event is timed where it happens, then brought onto this clock
  const clocks = new Map<string, HostClock>();
  const syncClock = async (host: string) => {
    const samples: ClockSample[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = clock.now();
      const r = await remote.run(host, DATE_NS);
      const received = clock.now();
      const t = parseEpochNs(r.stdout);
      if (t !== undefined) samples.push({ sent, remote: t, received });
    }
    if (!samples.length) throw new Error(`${host}: cannot read its clock (${DATE_NS})`);
    clocks.set(host, estimateOffset(samples));
  };
  const hostClock = (host: string) => clocks.get(host)!;
  /** run `cmd` right after reading the host's clock; the moment it started, on this clock */
  const runTimed = async (host: string, cmd: string) => {
    const out = await run(host, `${DATE_NS}; ${cmd}`);
    const t = parseEpochNs(out.split('\n')[0]);
    if (t === undefined) throw new Error(`${host}: no timestamp from ${DATE_NS}`);
    return toLocal(hostClock(host), t);
  };
  const unc = (...hosts: string[]) =>
    hosts.reduce((a, h) => a + (clocks.get(h)?.uncertaintyMs ?? 0), 0);
  for (const h of [...directors, ...spec.realServers.map((r) => r.name)]) await syncClock(h);
  if (o.probeHost) await syncClock(o.probeHost);
  if (o.routerHost) await syncClock(o.routerHost);

  /** keepalive-ts's status on a director (only called when ctl.status exists) */
  const daemonStatus = async (host: string) =>
    JSON.parse((await remote.run(host, ctl.status!)).stdout || '{}') as {
      instances?: { name: string; state: string }[];
      virtualServers?: { servers: { address: string; inService: boolean }[] }[];
    };
  /** The daemon's events since its (re)start, times on this clock (keepalive-ts only). */
  async function daemonEvents(host: string) {
    if (!ctl.events) return [];
    const r = await remote.run(host, ctl.events);
    return r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as DaemonEventLine)
      .map((e) => ({ ...e, t: toLocal(hostClock(host), e.wallTime) }));
  }

  /** When the restarted daemon entered its first VRRP state (after `from`), on this clock. */
  async function firstInstanceEvent(host: string, from: number) {
    if (!ctl.events) return undefined;
    let t: number | undefined;
    await until(
      clock,
      SETTLE_START_S * 1000,
      async () => {
        t = (await daemonEvents(host)).find(
          (e) => e.kind === 'instance' && e.t >= from - unc(host),
        )?.t;
        return t !== undefined;
      },
      100,
    );
    return t;
  }

  /** When the master's checker declared `rsId` up (or down) after `from`, on this clock. */
  async function realServerEvent(rsId: string, up: boolean, from: number, boundS: number) {
    let t: number | undefined;
    await until(
      clock,
      boundS * 1000 + 3000,
      async () => {
        t = (await daemonEvents(roles.master)).find(
          (e) =>
            e.kind === 'real_server' &&
            e.realServer === rsId &&
            e.up === up &&
            e.t >= from - unc(roles.master),
        )?.t;
        return t !== undefined;
      },
      200,
    );
    return t;
  }

  // ---- watchers: address events on every director, the client probe
  const watchVip = async () => {
    for (const d of directors) {
      streams.push(
        await remote.stream(
          d,
          // -ts: each event stamped by the director's own clock when it happened there
          `TZ=UTC timeout ${Math.ceil(o.probeSeconds ?? 120) + 120} ip -ts -o -4 monitor address & p=$!; cat >/dev/null; kill $p 2>/dev/null`,
          (line) => {
            const ev = parseIpTimestamp(line);
            if (!ev || !ev.rest.includes(` ${vip}/`)) return;
            tl.vip.push({
              t: toLocal(hostClock(d), ev.t),
              host: d,
              kind: ev.rest.startsWith('Deleted') ? 'del' : 'add',
              unc: hostClock(d).uncertaintyMs,
            });
          },
        ),
      );
    }
  };
  const startProbe = async (count = 0, intervalMs = 20, timeoutMs = 50) => {
    if (!o.probeHost) return undefined;
    let readyAt: number | undefined;
    self.probe = await remote.stream(
      o.probeHost,
      probeCommand({ vip, port, intervalMs, timeoutMs, maxSeconds: o.probeSeconds ?? 60, count }),
      (line) => {
        if (line.trim() === 'R') readyAt = clock.now();
        // attempts carry the probe host's clock
        const s = parseProbeLine(line);
        if (s) tl.probes.push({ ...s, t: toLocal(hostClock(o.probeHost!), s.t) });
      },
    );
    await until(clock, 15_000, () => readyAt !== undefined);
    if (readyAt === undefined)
      throw new Error(`probe on ${o.probeHost} did not start (is node installed there?)`);
    return self.probe;
  };

  /**
   * A deploy that just (re)started the daemons: wait, bounded, until the master
   * alone holds the VIP (a restarted master starts as backup and preempts after
   * its Master_Down_Interval); whoever holds it then is where recording starts.
   */
  const settle = async () => {
    const settleMs = (bounds.basis.masterDownIntervalMaster + SETTLE_START_S) * 1000;
    const settleStart = clock.now();
    let settled = await holders();
    while (
      !(settled.length === 1 && settled[0] === roles.master) &&
      clock.now() - settleStart < settleMs
    ) {
      await sleep(clock, 100);
      settled = await holders();
    }
    tl.initialHolders = settled;
    return settleMs;
  };
  const close = async () => {
    await self.probe?.end().catch(() => {});
    for (const s of streams) await s.end().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  const self = {
    o,
    spec,
    remote,
    clock,
    log,
    bounds,
    roles,
    ctl,
    vip,
    port,
    directors,
    tl,
    cleanups,
    /** the running client probe, if any */
    probe: undefined as Stream | undefined,
    mark,
    run,
    runTimed,
    unc,
    hostClock,
    holders,
    settle,
    daemonStatus,
    daemonEvents,
    firstInstanceEvent,
    realServerEvent,
    watchVip,
    startProbe,
    close,
    /** the hosts' clock estimates, for the report */
    clockTable: () =>
      Object.fromEntries(
        [...clocks].map(([h, c]) => [h, { offsetMs: c.offsetMs, uncertaintyMs: c.uncertaintyMs }]),
      ),
  };
  return self;
}
