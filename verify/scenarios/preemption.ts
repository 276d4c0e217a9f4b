// Preemption: the master comes back (the daemon restarted after a stop or a
// crash, or its links up again) and takes the VIP back: the daemon's start-up
// is measured apart (its event stream), and the preemption from the restart,
// with a bound that carries the start-up this run measured.
import { sleep } from '../../daemon/core/clock';
import { SLACK } from '../bounds';
import { until, type Ctx } from '../context';
import { timingStep, type Step } from '../report';
import { firstVipEvent } from '../timeline';
import { LABEL, linkDownSeconds, type DownKind } from './failover';

export async function preemption(ctx: Ctx, kind: DownKind, tStop: number): Promise<Step[]> {
  const { spec, remote, clock, tl, bounds, roles, ctl } = ctx;
  const { run, runTimed, mark, firstInstanceEvent } = ctx;
  const out: Step[] = [];
  const { master, backup } = roles;
  const label = LABEL[kind];
  const downS = linkDownSeconds(bounds);
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
    await until(clock, 15_000, async () => (await remote.run(master, ctl.running)).code !== 0, 100);
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
  await sleep(clock, 500);
  return out;
}
