// The failover verification of a deployed pair and pool: preflight checks,
// an induced failover (clean stop, or link down with --hard) with the VIP's
// move timed from the directors' address events and the client outage from
// a probe, preemption back, and a real server's failure and return. Hosts
// are reached only through Remote; time only through Clock, so the whole
// sequence runs against a simulated cluster in the unit tests.
import { daemonControl } from '../../components/plan';
import type { ClusterSpec } from '../../components/spec';
import { deriveBounds, pairRoles, SLACK } from './bounds';
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
import { checkStep, makeReport, timingStep, type Report, type Step } from './report';
import { firstVipEvent, lastFailureAfter, outageAfter, type Timeline } from './timeline';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** One line of `keepalive-ts events` (daemon/control/events.ts). */
interface DaemonEventLine {
  kind: 'instance' | 'real_server';
  wallTime: number;
  realServer?: string;
  up?: boolean;
  to?: string;
}

export type Scenario = 'preflight' | 'failover' | 'crash' | 'rs';

export interface VerifyOptions {
  spec: ClusterSpec;
  stack: string;
  remote: Remote;
  clock?: Clock;
  /** host (a name the Remote knows) that runs the client probe; without one, probe steps are skipped */
  probeHost?: string;
  scenarios?: Scenario[];
  /** link down on the master instead of a clean stop */
  hard?: boolean;
  /** longest any single probe run may last */
  probeSeconds?: number;
  log?: (m: string) => void;
}

/**
 * The verifier's temporary nftables table on a real server: one input rule
 * (a counter, or a reject that fails the service), and the command that removes it.
 */
const VERIFY_TABLE = 'keepalive_verify';
const verifyTable = (rule: string) =>
  `add table inet ${VERIFY_TABLE}\nadd chain inet ${VERIFY_TABLE} in { type filter hook input priority -10; }\nadd rule inet ${VERIFY_TABLE} in ${rule}\n`;
const DROP_VERIFY_TABLE = `nft delete table inet ${VERIFY_TABLE} 2>/dev/null; true`;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** rounds of probes (4 connections per real server each) before a silent server fails the check */
const EVERY_SERVER_ROUNDS = 8;
/** a freshly started daemon has its VRRP instance running within this (s) */
const SETTLE_START_S = 5;

async function until(
  clock: Clock,
  timeoutMs: number,
  probe: () => boolean | Promise<boolean>,
  stepMs = 20,
) {
  const end = clock.now() + timeoutMs;
  while (clock.now() < end) {
    if (await probe()) return true;
    await clock.sleep(stepMs);
  }
  return probe();
}

export async function verify(o: VerifyOptions): Promise<Report> {
  const clock = o.clock ?? realClock;
  const log = o.log ?? (() => {});
  const { spec, remote } = o;
  const scenarios = new Set<Scenario>(o.scenarios ?? ['preflight', 'failover', 'rs']);
  const bounds = deriveBounds(spec);
  const { basis, ...limits } = bounds;
  const roles = pairRoles(spec);
  const ctl = daemonControl(spec);
  const vip = spec.vip.split('/')[0];
  const port = spec.services[0].port;
  const directors = spec.directors.map((d) => d.name);
  const steps: Step[] = [];
  const t0 = clock.now();
  const tl: Timeline = { t0, probes: [], vip: [], marks: [], directors, initialHolders: [] };
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

  // a deploy that just (re)started the daemons: wait, bounded, until the master alone holds
  // the VIP (a restarted master starts as backup and preempts after its Master_Down_Interval)
  const settleMs = (bounds.basis.masterDownIntervalMaster + SETTLE_START_S) * 1000;
  const settleStart = clock.now();
  let settled = await holders();
  while (
    !(settled.length === 1 && settled[0] === roles.master) &&
    clock.now() - settleStart < settleMs
  ) {
    await clock.sleep(100);
    settled = await holders();
  }
  tl.initialHolders = settled;
  /** keepalive-ts's status on a director (only called when ctl.status exists) */
  const daemonStatus = async (host: string) =>
    JSON.parse((await remote.run(host, ctl.status!)).stdout || '{}') as {
      instances?: { name: string; state: string }[];
      virtualServers?: { servers: { address: string; inService: boolean }[] }[];
    };

  // ---- watchers: address events on every director, the client probe
  const streams: Stream[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
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
            });
          },
        ),
      );
    }
  };
  let probe: Stream | undefined;
  const startProbe = async (count = 0, intervalMs = 20, timeoutMs = 50) => {
    if (!o.probeHost) return undefined;
    let readyAt: number | undefined;
    probe = await remote.stream(
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
    return probe;
  };

  try {
    if (scenarios.has('preflight')) steps.push(...(await preflight()));
    if (scenarios.has('failover') || scenarios.has('crash')) {
      await watchVip();
      await startProbe();
      await clock.sleep(1000); // a baseline of successful probes
      if (scenarios.has('failover')) steps.push(...(await failover(o.hard ? 'hard' : 'clean')));
      if (scenarios.has('crash')) steps.push(...(await failover('crash')));
    }
    if (scenarios.has('rs')) {
      if (!probe) await startProbe();
      steps.push(...(await realServerFailure()));
    }
  } finally {
    await probe?.end().catch(() => {});
    for (const s of streams) await s.end().catch(() => {});
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
  return makeReport({
    stack: o.stack,
    daemon: spec.daemon,
    startedAt: new Date(t0).toISOString(),
    steps,
    bounds: { ...basis, ...limits },
    timeline: tl,
  });

  // ------------------------------------------------------------ preflight
  async function preflight(): Promise<Step[]> {
    const out: Step[] = [];
    const h = tl.initialHolders;
    let cause = '';
    if (h.length !== 1) {
      const vrids = await Promise.all(
        directors.map(async (d) => {
          const conf = (await remote.run(d, `cat ${q(`${spec.configDir}/keepalived.conf`)}`))
            .stdout;
          return [d, /virtual_router_id\s+(\d+)/.exec(conf)?.[1] ?? '?'] as const;
        }),
      );
      if (new Set(vrids.map(([, v]) => v)).size > 1)
        cause = `: virtual_router_id differs (${vrids.map(([d, v]) => `${d} ${v}`).join(', ')}), so the directors ignore each other's adverts`;
      else if (h.length > 1)
        cause =
          ': the directors do not hear each other (adverts blocked, unicast peers or auth wrong?)';
      else cause = ': no director holds it (daemons down or all in FAULT?)';
    }
    out.push(
      checkStep(
        'VIP on exactly one director',
        h.length === 1,
        `VIP ${vip} on ${h.length ? h.join(' and ') : 'no director'}${cause}${h.length === 1 && h[0] !== roles.master ? ` (not on ${roles.master}, the highest priority, after ${(settleMs / 1000).toFixed(1)} s)` : ''}`,
      ),
    );

    const health: string[] = [];
    for (const d of directors) {
      const alive = (await remote.run(d, ctl.running)).code === 0;
      if (!alive) {
        health.push(`${d}: ${spec.daemon} not running`);
        continue;
      }
      if (ctl.status) {
        const st = await daemonStatus(d);
        const bad = (st.instances ?? []).filter(
          (i) => i.state !== 'MASTER' && i.state !== 'BACKUP',
        );
        if (!st.instances) health.push(`${d}: no status over the control socket`);
        for (const i of bad) health.push(`${d}: ${i.name} in ${i.state}`);
      }
    }
    out.push(
      checkStep(
        'both daemons healthy',
        health.length === 0,
        health.join('; ') ||
          `${spec.daemon} running on ${directors.join(', ')}, instances MASTER/BACKUP`,
      ),
    );

    const redirects: string[] = [];
    for (const d of directors) {
      const v = (
        await run(
          d,
          `sysctl -n net.ipv4.conf.all.send_redirects net.ipv4.conf.${spec.interface}.send_redirects`,
        )
      )
        .trim()
        .split(/\s+/);
      if (v.some((x) => x !== '0')) redirects.push(`${d}: all=${v[0]} ${spec.interface}=${v[1]}`);
    }
    out.push(
      checkStep(
        'directors send no ICMP redirects',
        redirects.length === 0,
        redirects.length
          ? `send_redirects on: ${redirects.join('; ')}`
          : 'send_redirects 0 on all directors',
      ),
    );

    out.push(await arpCheck());
    if (o.probeHost) out.push(await everyServerAnswers());
    return out;
  }

  async function arpCheck(): Promise<Step> {
    const name = 'no real server answers ARP for the VIP';
    const sysctl: string[] = [];
    const macs = new Map<string, string>();
    for (const rs of spec.realServers) {
      const v = (
        await run(
          rs.name,
          `sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.${spec.realServerInterface}.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.${spec.realServerInterface}.arp_announce`,
        )
      )
        .trim()
        .split(/\s+/)
        .map(Number);
      const ignore = Math.max(v[0], v[1]);
      const announce = Math.max(v[2], v[3]);
      if (ignore < 1 || announce < 2)
        sysctl.push(`${rs.name}: arp_ignore=${ignore} arp_announce=${announce} (needs >= 1 and 2)`);
      macs.set(
        (await run(rs.name, `cat /sys/class/net/${spec.realServerInterface}/address`))
          .trim()
          .toLowerCase(),
        rs.name,
      );
    }
    if (!o.probeHost)
      return checkStep(
        name,
        sysctl.length === 0,
        sysctl.join('; ') ||
          'arp_ignore/arp_announce set on every real server (no probe host for an ARP test)',
      );
    const dev = /dev (\S+)/.exec(await run(o.probeHost, `ip -o route get ${vip}`))?.[1];
    const r = await remote.run(o.probeHost, `arping -c 3 -w 3 -I ${dev} ${vip}`);
    const seen = [
      ...new Set([...r.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1].toLowerCase())),
    ];
    const rsAnswering = seen.filter((m) => macs.has(m)).map((m) => macs.get(m)!);
    const pass = rsAnswering.length === 0 && seen.length === 1 && sysctl.length === 0;
    const detail = rsAnswering.length
      ? `${rsAnswering.join(', ')} answer${rsAnswering.length > 1 ? '' : 's'} ARP for ${vip} (clients may bypass the director)${sysctl.length ? `: ${sysctl.join('; ')}` : ''}`
      : sysctl.length
        ? sysctl.join('; ')
        : seen.length === 1
          ? `only the master answers ARP for ${vip} (${seen[0]})`
          : `${seen.length} MACs answer ARP for ${vip}: ${seen.join(', ')}`;
    return checkStep(name, pass, detail);
  }

  async function everyServerAnswers(): Promise<Step> {
    const name = 'every real server answers through the VIP';
    const rule = verifyTable(`ip daddr ${vip} tcp dport ${port} tcp flags syn counter`);
    for (const rs of spec.realServers) {
      await remote.run(rs.name, DROP_VERIFY_TABLE);
      const r = await remote.run(rs.name, 'nft -f -', rule);
      if (r.code !== 0) return checkStep(name, false, `${rs.name}: nft: ${r.stderr.trim()}`);
      cleanups.push(() => remote.run(rs.name, DROP_VERIFY_TABLE));
    }
    // the balancer picks by hash and weight, so a fixed handful of connections can miss a
    // server by chance: probe in rounds until every server with weight has seen one (bounded)
    const expected = spec.realServers.filter((rs) => rs.weight > 0);
    const persistent = spec.services[0].persistence > 0;
    const round = 4 * spec.realServers.length;
    const counts = new Map<string, number>();
    let sent = 0;
    let failed = 0;
    for (let i = 0; i < EVERY_SERVER_ROUNDS; i++) {
      const before = tl.probes.length;
      const p = await startProbe(round, 50, 500);
      await until(clock, 10_000, () => tl.probes.length - before >= round, 50);
      await p?.end();
      probe = undefined;
      const samples = tl.probes.splice(before);
      sent += samples.length;
      failed += samples.filter((s) => !s.ok).length;
      for (const rs of spec.realServers)
        counts.set(
          rs.name,
          Number(
            /packets (\d+)/.exec(
              (await remote.run(rs.name, `nft list table inet ${VERIFY_TABLE}`)).stdout,
            )?.[1] ?? 0,
          ),
        );
      // with persistence one client stays on one server: one answering server is all it can show
      const done = persistent
        ? expected.some((rs) => counts.get(rs.name)! > 0)
        : expected.every((rs) => counts.get(rs.name)! > 0);
      if (failed > 0 || done) break;
    }
    for (const rs of spec.realServers) await remote.run(rs.name, DROP_VERIFY_TABLE);
    const silent = expected.filter((rs) => counts.get(rs.name) === 0).map((rs) => rs.name);
    const pass =
      sent > 0 &&
      failed === 0 &&
      (persistent ? silent.length < expected.length : silent.length === 0);
    return checkStep(
      name,
      pass,
      `${sent} new connections to ${vip}:${port}, ${failed} failed; connections seen per real server: ${[...counts].map(([n, c]) => `${n} ${c}`).join(', ')}${silent.length && !persistent ? ` (${silent.join(', ')} got none)` : ''}`,
    );
  }

  // ------------------------------------------------------------ failover
  async function failover(kind: 'clean' | 'hard' | 'crash'): Promise<Step[]> {
    const out: Step[] = [];
    const { master, backup } = roles;
    const moveBound = kind === 'clean' ? bounds.cleanMove : bounds.hardMove;
    const outageBound = kind === 'clean' ? bounds.cleanOutage : bounds.hardOutage;
    const label = { clean: 'clean stop', hard: 'link down', crash: 'crash' }[kind];
    const downS = Math.ceil(bounds.hardMove + 2);
    const links = [
      spec.interface,
      ...(spec.splitBrain.heartbeatInterface ? [spec.splitBrain.heartbeatInterface] : []),
    ];
    // whatever happens from here on, the pair is left with its master's daemon running
    if (kind !== 'hard')
      cleanups.push(() => remote.run(master, `if ! { ${ctl.running}; }; then ${ctl.start}; fi`));
    mark(`${label} of ${master}`);
    // the stop is timed on the master, by its clock, the moment it is made
    const tStop =
      kind === 'clean'
        ? await runTimed(master, ctl.signalStop)
        : kind === 'crash'
          ? await runTimed(master, ctl.crash)
          : // the master restores its own links: the verifier's connection to it rides on them
            await runTimed(
              master,
              `setsid sh -c ${q(`${links.map((l) => `ip link set ${l} down`).join('; ')}; sleep ${downS}; ${links.map((l) => `ip link set ${l} up`).join('; ')}`)} >/dev/null 2>&1 </dev/null &`,
            );
    await until(
      clock,
      moveBound * 1000 * 3 + 2000,
      () => !!firstVipEvent(tl.vip, backup, 'add', tStop),
    );
    const moved = firstVipEvent(tl.vip, backup, 'add', tStop);
    out.push(
      timingStep(
        `VIP moves to ${backup} (${label})`,
        moved && moved.t - tStop,
        moveBound,
        moved
          ? `from ${master}'s ${label} (its clock) to the VIP on ${backup} (its address event, its clock)`
          : `${backup} never added the VIP`,
        unc(master, backup),
      ),
    );
    if (o.probeHost) {
      await until(
        clock,
        outageBound * 1000 + 3000,
        () => outageAfter(tl.probes, tStop) !== undefined && clock.now() - tStop > 600,
        50,
      );
      const og = outageAfter(tl.probes, tStop);
      out.push(
        timingStep(
          `client outage (${label})`,
          og?.ms,
          outageBound,
          og
            ? `${og.failed} failed connections (new one every 20 ms, 50 ms timeout)`
            : 'probes never recovered',
          unc(o.probeHost),
        ),
      );
    }
    // restore: start the daemon again (after a crash, remove the VIP the dead process left behind)
    let tStart: number;
    if (kind === 'hard') {
      await until(
        clock,
        downS * 1000 + 5000,
        async () =>
          (await remote.run(master, 'true')).code === 0 && clock.now() - tStop >= downS * 1000,
        100,
      );
      tStart = tStop + downS * 1000;
      mark(`links of ${master} up`);
    } else {
      if (kind === 'crash')
        await run(master, `ip addr del ${spec.vip} dev ${spec.interface} 2>/dev/null; true`);
      await until(
        clock,
        15_000,
        async () => (await remote.run(master, ctl.running)).code !== 0,
        100,
      );
      mark(`restart of ${master}`);
      tStart = await runTimed(master, ctl.start);
    }
    await until(
      clock,
      bounds.preempt * 1000 * 2 + 5000,
      () => !!firstVipEvent(tl.vip, master, 'add', tStart),
    );
    const back = firstVipEvent(tl.vip, master, 'add', tStart);
    // start-up is the daemon's own overhead, measured apart from the protocol's wait:
    // the restarted daemon's first VRRP state (its event stream, its clock)
    const started = kind === 'hard' ? undefined : await firstInstanceEvent(master, tStart);
    if (started !== undefined)
      out.push(
        timingStep(
          `${master} daemon start-up (after ${label})`,
          started - tStart,
          SLACK.start,
          `from the restart to its first VRRP state (its event stream)`,
        ),
      );
    // what the operator sees, restart to VIP, for every daemon (benchmarks compare it); the
    // bound carries the start-up measured in this run, which is judged in its own step
    const startupS = started !== undefined ? (started - tStart) / 1000 : undefined;
    out.push(
      timingStep(
        `${master} preempts back (after ${label})`,
        back && back.t - tStart,
        startupS !== undefined ? startupS + bounds.preemptAfterStart : bounds.preempt,
        back
          ? `from the ${kind === 'hard' ? 'links coming up' : 'restart'} to the VIP on ${master} (both its clock)${startupS !== undefined ? `; bound: start-up ${startupS.toFixed(3)} s + Master_Down_Interval + ${SLACK.takeover} s` : ''}`
          : `${master} never took the VIP back`,
      ),
    );
    await until(clock, 3000, () => !!firstVipEvent(tl.vip, backup, 'del', tStart));
    await clock.sleep(500);
    return out;
  }

  // ------------------------------------------------------------ real server
  async function realServerFailure(): Promise<Step[]> {
    const rs = spec.realServers[0];
    const out: Step[] = [];
    cleanups.push(() => remote.run(rs.name, DROP_VERIFY_TABLE));
    mark(`${rs.name}:${port} refuses connections`);
    // the reject rule counts what it rejects: a step passes only on evidence that
    // client connections reached the failed server
    const r = await remote.run(
      rs.name,
      `nft -f - && ${DATE_NS}`,
      verifyTable(`tcp dport ${port} counter reject with tcp reset`),
    );
    const tFailHost = parseEpochNs(r.stdout);
    if (r.code !== 0 || tFailHost === undefined)
      return [
        checkStep(
          `${rs.name} taken out of service`,
          false,
          `could not fail its service: nft: ${r.stderr.trim()}`,
        ),
      ];
    const tFail = toLocal(hostClock(rs.name), tFailHost);
    const rsId = `${rs.address}:${port}`;
    if (o.probeHost) {
      await until(
        clock,
        bounds.rsOut * 1000 + 3000,
        () => clock.now() - tFail > 1500 && lastFailureAfter(tl.probes, tFail) !== undefined,
        100,
      );
      const last = lastFailureAfter(tl.probes, tFail);
      const rejected = Number(
        /packets (\d+)/.exec(
          (await remote.run(rs.name, `nft list table inet ${VERIFY_TABLE}`)).stdout,
        )?.[1] ?? 0,
      );
      const failed = tl.probes.filter((p) => p.t >= tFail && !p.ok).length;
      out.push(
        timingStep(
          `traffic stops reaching failed ${rs.name}`,
          last !== undefined && failed > 0 && rejected > 0 ? last : undefined,
          bounds.rsOut,
          last === undefined
            ? 'client connections kept failing'
            : failed === 0 || rejected === 0
              ? `no client connection reached ${rs.name} after its failure (${rejected} rejected there, ${failed} failed at the client)`
              : `from the failure to the last failed client connection (${failed} failed, ${rejected} rejected by ${rs.name})`,
          unc(rs.name, o.probeHost!),
        ),
      );
    }
    if (ctl.events) {
      const down = await realServerEvent(rsId, false, tFail, bounds.rsOut);
      out.push(
        timingStep(
          `${rs.name} out of service`,
          down && down - tFail,
          bounds.rsOut,
          `from the failure (${rs.name}'s clock) to the master's verdict (its event stream, its clock)`,
          unc(rs.name, roles.master),
        ),
      );
    }
    mark(`${rs.name}:${port} serves again`);
    const tHeal = await runTimed(rs.name, DROP_VERIFY_TABLE);
    if (ctl.events) {
      const up = await realServerEvent(rsId, true, tHeal, bounds.rsBack);
      out.push(
        timingStep(
          `${rs.name} back in service`,
          up && up - tHeal,
          bounds.rsBack,
          `from the repair (${rs.name}'s clock) to the master's verdict (its event stream, its clock)`,
          unc(rs.name, roles.master),
        ),
      );
    }
    await clock.sleep(300);
    return out;
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
}
