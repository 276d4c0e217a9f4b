// Induced failover: the master goes away (a clean stop with priority 0, its
// links down with --hard, or a crash: SIGKILL of every daemon process), and
// the VIP's move to the backup is timed from the master's clock at the stop
// to the backup's address event, the client outage on the probe host.
import type { Bounds } from '../bounds';
import { q, until, type Ctx } from '../context';
import { timingStep, type Step } from '../report';
import { firstVipEvent, outageAfter } from '../timeline';

export type DownKind = 'clean' | 'hard' | 'crash';
export const LABEL: Record<DownKind, string> = {
  clean: 'clean stop',
  hard: 'link down',
  crash: 'crash',
};

/** How long --hard keeps the master's links down: past the backup's takeover. */
export const linkDownSeconds = (b: Bounds) => Math.ceil(b.hardMove + 2);

/** Induced failover (clean stop, or link down with --hard). */
export const inducedFailover = (ctx: Ctx, hard: boolean) =>
  takeDownMaster(ctx, hard ? 'hard' : 'clean');

export async function takeDownMaster(
  ctx: Ctx,
  kind: DownKind,
): Promise<{ steps: Step[]; tStop: number }> {
  const { spec, remote, clock, tl, o, bounds, roles, ctl, cleanups } = ctx;
  const { runTimed, unc, mark } = ctx;

  const out: Step[] = [];
  const { master, backup } = roles;
  const moveBound = kind === 'clean' ? bounds.cleanMove : bounds.hardMove;
  const outageBound = kind === 'clean' ? bounds.cleanOutage : bounds.hardOutage;
  const label = { clean: 'clean stop', hard: 'link down', crash: 'crash' }[kind];
  const downS = linkDownSeconds(bounds);
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
  return { steps: out, tStop };
}
