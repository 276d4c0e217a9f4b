// The failover verification of a deployed pair and pool: preflight checks,
// an induced failover (clean stop, or link down with --hard) with the VIP's
// move timed from the directors' address events and the client outage from
// a probe, preemption back, and a real server's failure and return. Hosts
// are reached only through Remote; time only through Clock, so the whole
// sequence runs against a simulated cluster in the unit tests.
import { daemonControl } from '../../components/plan';
import type { ClusterSpec } from '../../components/spec';
import { deriveBounds, pairRoles } from './bounds';
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
  tl.initialHolders = await holders();
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
          `timeout ${Math.ceil(o.probeSeconds ?? 120) + 120} ip -o -4 monitor address & p=$!; cat >/dev/null; kill $p 2>/dev/null`,
          (line) => {
            if (!line.includes(` ${vip}/`)) return;
            tl.vip.push({
              t: clock.now(),
              host: d,
              kind: line.startsWith('Deleted') ? 'del' : 'add',
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
        const s = readyAt !== undefined ? parseProbeLine(line, readyAt) : undefined;
        if (s) tl.probes.push(s);
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
        `VIP ${vip} on ${h.length ? h.join(' and ') : 'no director'}${cause}`,
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
    const n = 4 * spec.realServers.length;
    const before = tl.probes.length;
    const p = await startProbe(n, 50, 500);
    await until(clock, 10_000, () => tl.probes.length - before >= n, 50);
    await p?.end();
    probe = undefined;
    const samples = tl.probes.splice(before);
    const failed = samples.filter((s) => !s.ok).length;
    const counts: string[] = [];
    const silent: string[] = [];
    for (const rs of spec.realServers) {
      const c = Number(
        /packets (\d+)/.exec(
          (await remote.run(rs.name, `nft list table inet ${VERIFY_TABLE}`)).stdout,
        )?.[1] ?? 0,
      );
      counts.push(`${rs.name} ${c}`);
      if (c === 0) silent.push(rs.name);
      await remote.run(rs.name, DROP_VERIFY_TABLE);
    }
    const persistent = spec.services[0].persistence > 0;
    const pass =
      failed === 0 && (persistent ? silent.length < spec.realServers.length : silent.length === 0);
    return checkStep(
      name,
      pass,
      `${n} new connections to ${vip}:${port}, ${failed} failed; connections seen per real server: ${counts.join(', ')}${silent.length && !persistent ? ` (${silent.join(', ')} got none)` : ''}`,
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
    const tStop = clock.now();
    mark(`${label} of ${master}`);
    if (kind === 'clean') await run(master, ctl.signalStop);
    else if (kind === 'crash') await run(master, ctl.crash);
    else
      // the master restores its own links: the verifier's connection to it rides on them
      await run(
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
          ? `from ${master}'s ${label} to the VIP on ${backup} (its address events)`
          : `${backup} never added the VIP`,
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
      tStart = clock.now();
      mark(`restart of ${master}`);
      await run(master, ctl.start);
    }
    await until(
      clock,
      bounds.preempt * 1000 * 2 + 5000,
      () => !!firstVipEvent(tl.vip, master, 'add', tStart),
    );
    const back = firstVipEvent(tl.vip, master, 'add', tStart);
    out.push(
      timingStep(
        `${master} preempts back (after ${label})`,
        back && back.t - tStart,
        bounds.preempt,
        back
          ? `from the ${kind === 'hard' ? 'links coming up' : 'restart'} to the VIP on ${master}`
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
    const tFail = clock.now();
    mark(`${rs.name}:${port} refuses connections`);
    const r = await remote.run(
      rs.name,
      'nft -f -',
      verifyTable(`tcp dport ${port} reject with tcp reset`),
    );
    if (r.code !== 0)
      return [
        checkStep(
          `${rs.name} taken out of service`,
          false,
          `could not fail its service: nft: ${r.stderr.trim()}`,
        ),
      ];
    if (o.probeHost) {
      await until(
        clock,
        bounds.rsOut * 1000 + 3000,
        () => clock.now() - tFail > 1500 && lastFailureAfter(tl.probes, tFail) !== undefined,
        100,
      );
      const last = lastFailureAfter(tl.probes, tFail);
      out.push(
        timingStep(
          `traffic stops reaching failed ${rs.name}`,
          last,
          bounds.rsOut,
          last === 0
            ? 'no client connection failed'
            : 'from the failure to the last failed client connection',
        ),
      );
    } else if (ctl.status) {
      out.push(
        timingStep(
          `${rs.name} out of service`,
          await serverState(rs.address, false, tFail, bounds.rsOut),
          bounds.rsOut,
          'from the failure to the master reporting it out of service',
        ),
      );
    }
    const tHeal = clock.now();
    mark(`${rs.name}:${port} serves again`);
    await run(rs.name, DROP_VERIFY_TABLE);
    if (ctl.status) {
      const ms = await serverState(rs.address, true, tHeal, bounds.rsBack);
      out.push(
        timingStep(
          `${rs.name} back in service`,
          ms,
          bounds.rsBack,
          'from the repair to the master reporting it in service',
        ),
      );
    }
    await clock.sleep(300);
    return out;
  }

  /** ms from `from` until the master's status shows the real server in (or out of) service */
  async function serverState(address: string, inService: boolean, from: number, boundS: number) {
    const ok = await until(
      clock,
      boundS * 1000 + 3000,
      async () => {
        const st = await daemonStatus(roles.master);
        return (st.virtualServers ?? []).some((v) =>
          v.servers.some((s) => s.address === address && s.inService === inService),
        );
      },
      100,
    );
    return ok ? clock.now() - from : undefined;
  }
}
