// Preflight: the deployment as it stands, before anything is induced: one
// VIP holder (and the likely cause when not), both daemons healthy, no ICMP
// redirects from the directors, only the master answering ARP for the VIP,
// and every real server with weight receiving connections addressed to the VIP.
import { DROP_VERIFY_TABLE, q, until, VERIFY_TABLE, verifyTable, type Ctx } from '../context';
import { checkStep, type Step } from '../report';

/** rounds of probes (4 connections per real server each) before a silent server fails the check */
const EVERY_SERVER_ROUNDS = 8;

export async function preflight(ctx: Ctx, settleMs: number): Promise<Step[]> {
  const { spec, remote, tl, o, roles, ctl, vip, directors } = ctx;
  const { run, daemonStatus } = ctx;

  const out: Step[] = [];
  const h = tl.initialHolders;
  let cause = '';
  if (h.length !== 1) {
    const vrids = await Promise.all(
      directors.map(async (d) => {
        const conf = (await remote.run(d, `cat ${q(`${spec.configDir}/keepalived.conf`)}`)).stdout;
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
      const bad = (st.instances ?? []).filter((i) => i.state !== 'MASTER' && i.state !== 'BACKUP');
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

  out.push(await arpCheck(ctx));
  if (o.probeHost) out.push(await everyServerAnswers(ctx));
  return out;
}

async function arpCheck(ctx: Ctx): Promise<Step> {
  const { spec, remote, o, vip } = ctx;
  const { run } = ctx;

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

async function everyServerAnswers(ctx: Ctx): Promise<Step> {
  const { spec, remote, clock, tl, vip, port, cleanups } = ctx;
  const { startProbe } = ctx;

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
    ctx.probe = undefined;
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
