// Active-active (mode: active-active): every director forwards and announces
// the VIP by BGP; the verification kills one director (nftables silences it
// but SSH, a timer on the director brings it back), drains one and adds it
// back (undrain), each bounded by the rules BIRD is configured with
// (bounds-aa.ts). The outage is measured at the client by new connections
// through the VIP; with the router reachable (routerHost), the moment its
// kernel route stops or starts sending to the director is timed too.
import { sleep } from '../../daemon/core/clock';
import { AA_REVIVE, aaKillCommand, deriveAaBounds, SLACK_AA, type AaBounds } from '../bounds-aa';
import { toLocal } from '../clock-sync';
import { until, type Ctx } from '../context';
import { checkStep, timingStep, type Step } from '../report';
import { firstAddOf, firstDropOf, parseRouteEvent, routeMonitorCommand } from '../route-events';
import type { RouteEvent } from '../route-events';
import { outageAfter } from '../timeline';

/** How long the killed director stays silent: past the router's drop and the client's outage. */
export const killSeconds = (b: AaBounds) => Math.ceil(b.killOutage + 2);

/** Which directors play which part: the last one is killed, another drained and added back. */
export function aaRoles(directors: readonly string[]) {
  if (directors.length < 2) throw new Error('active-active verification needs two directors');
  return { killed: directors[directors.length - 1], drained: directors[0] };
}

export async function activeActive(ctx: Ctx): Promise<Step[]> {
  const { spec, remote, clock, tl, o, ctl, vip, cleanups, mark, runTimed, unc } = ctx;
  const b = deriveAaBounds(spec);
  const addressOf = (d: string) => spec.directors.find((x) => x.name === d)!.address;
  const { killed, drained } = aaRoles(ctx.directors);
  const router = o.routerHost;
  const out: Step[] = [];

  // ---- the router's VIP route over time (its clock), when it is reachable
  const routes: RouteEvent[] = [];
  if (router) {
    const stream = await remote.stream(
      router,
      routeMonitorCommand((o.probeSeconds ?? 60) + 120),
      (line) => {
        const e = parseRouteEvent(line, vip);
        if (e) routes.push({ ...e, t: toLocal(ctx.hostClock(router), e.t) });
      },
    );
    cleanups.push(() => stream.end());
    const now = await remote.run(router, `ip -o -4 route show ${vip}/32`);
    const hops = parseRouteEvent(`[1970-01-01T00:00:00] ${now.stdout.trim()}`, vip)?.nexthops ?? [];
    const missing = ctx.directors.filter((d) => !hops.includes(addressOf(d)));
    out.push(
      checkStep(
        `router sends to every director`,
        missing.length === 0,
        missing.length
          ? `the router's route to ${vip} lacks ${missing.join(', ')} (${hops.join(', ') || 'no route'})`
          : `${hops.length} equal-cost next hops: ${hops.join(', ')}`,
      ),
    );
  }
  /** a router step: from `from` to the first route event that drops (or adds) the director */
  const routerStep = async (
    name: string,
    d: string,
    kind: 'drop' | 'add',
    from: number,
    boundS: number,
    fromHost: string,
  ) => {
    if (!router) return;
    const find = () =>
      kind === 'drop'
        ? firstDropOf(routes, addressOf(d), from)
        : firstAddOf(routes, addressOf(d), from);
    await until(clock, boundS * 1000 * 2 + 2000, () => !!find(), 50);
    const e = find();
    out.push(
      timingStep(
        name,
        e && e.t - from,
        boundS,
        e
          ? `from ${fromHost}'s clock to the router's route event (${e.nexthops.length} next hops after it)`
          : `the router's route never ${kind === 'drop' ? 'dropped' : 'took back'} ${d}`,
        unc(fromHost, router),
      ),
    );
  };
  /** a bgp event of the director's daemon (announced or withdrawn) after `from`, on this clock */
  const bgpEvent = async (d: string, announced: boolean, from: number, boundS: number) => {
    let t: number | undefined;
    await until(
      clock,
      boundS * 1000 + 3000,
      async () => {
        t = (await ctx.daemonEvents(d)).find(
          (e) => e.kind === 'bgp' && e.announced === announced && e.t >= from - unc(d),
        )?.t;
        return t !== undefined;
      },
      100,
    );
    return t;
  };
  /** the client's outage between `from` and `to` (new connections through the VIP) */
  const outageStep = async (name: string, from: number, waitMs: number, boundS: number) => {
    if (!o.probeHost) return;
    await until(
      clock,
      waitMs + 3000,
      () => clock.now() - from > waitMs && !!outageAfter(tl.probes, from),
      50,
    );
    const og = outageAfter(tl.probes, from);
    out.push(
      timingStep(
        name,
        og?.ms,
        boundS,
        og
          ? `${og.failed} failed new connections (one every 20 ms, 50 ms timeout)`
          : 'new connections never recovered',
        unc(o.probeHost),
      ),
    );
  };

  if (o.probeHost) {
    await ctx.startProbe();
    await sleep(clock, 1000); // a baseline of successful probes
  }

  // ---- kill: the director goes silent (all but SSH); a timer on it revives it
  const downS = killSeconds(b);
  cleanups.push(() => remote.run(killed, AA_REVIVE));
  mark(`kill of ${killed} (silent but SSH for ${downS} s)`);
  const tKill = await runTimed(killed, aaKillCommand(spec.interface, downS));
  await routerStep(
    `router stops sending to killed ${killed}`,
    killed,
    'drop',
    tKill,
    b.routerDrop,
    killed,
  );
  await outageStep(
    `client outage (kill of ${killed})`,
    tKill,
    b.killOutage * 1000 + 500,
    b.killOutage,
  );
  const tRevive = tKill + downS * 1000;
  await until(clock, downS * 1000 + 1000, () => clock.now() > tRevive + 200);
  mark(`${killed} revived`);
  if (router)
    await routerStep(
      `killed ${killed} back in the route`,
      killed,
      'add',
      tRevive,
      b.killReturn,
      killed,
    );
  else await sleep(clock, b.killReturn * 1000); // no router view: give it its bound to return

  // ---- drain, then add it back (undrain): planned, so no new connection may fail
  if (!ctl.drain || !ctl.undrain)
    return [...out, checkStep('drain and add', false, 'the daemon has no drain control')];
  cleanups.push(() => remote.run(drained, ctl.undrain!));
  /** One planned change (drain, undrain): the daemon's BGP event, the router's route, the client. */
  const plannedChange = async (p: {
    label: string;
    command: string;
    announce: boolean;
    bound: number;
    step: string;
    detail: string;
    routerStepName: string;
    outage: string;
  }) => {
    mark(p.label);
    const t = await runTimed(drained, p.command);
    const at = await bgpEvent(drained, p.announce, t, p.bound);
    out.push(timingStep(p.step, at && at - t, p.bound, p.detail, unc(drained)));
    // a BGP UPDATE either way: no detection time, only propagation
    const kind = p.announce ? 'add' : 'drop';
    await routerStep(p.routerStepName, drained, kind, t, p.bound + SLACK_AA.propagate, drained);
    await outageStep(p.outage, t, 1500, b.planned);
  };
  await plannedChange({
    label: `drain of ${drained}`,
    command: ctl.drain,
    announce: false,
    bound: b.drainWithdraw,
    step: `drain: ${drained} withdraws the VIP`,
    detail: `from the drain command to BIRD accepting the withdrawal (${drained}'s event stream)`,
    routerStepName: `router stops sending to drained ${drained}`,
    outage: `client outage (drain of ${drained})`,
  });
  await plannedChange({
    label: `add ${drained} back (undrain)`,
    command: ctl.undrain,
    announce: true,
    bound: b.addAnnounce,
    step: `add: ${drained} announces the VIP again`,
    detail: `from the undrain command to BIRD accepting the announcement (announce_after ${b.basis.announceAfterSeconds} s)`,
    routerStepName: `router sends to added ${drained} again`,
    outage: `client outage (add of ${drained})`,
  });
  return out;
}
