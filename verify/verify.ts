// The failover verification of a deployed pair and pool, scenario by
// scenario (verify/scenarios/): preflight, an induced failover (clean stop,
// or link down with --hard) or a crash, each followed by the master's
// preemption back, and a real server's failure and return. One shared
// context (context.ts) records the timeline; the report (report.ts) judges
// every timing against the bounds the declaration implies (bounds.ts).
import { sleep } from '../daemon/core/clock';
import { makeReport, type Report, type Step } from './report';
import { createContext, type Scenario, type VerifyOptions } from './context';
import { crash } from './scenarios/crash';
import { inducedFailover } from './scenarios/failover';
import { preemption } from './scenarios/preemption';
import { preflight } from './scenarios/preflight';
import { realServerFailure } from './scenarios/real-server';

export { realClock, type Clock, type Scenario, type VerifyOptions } from './context';

export async function verify(o: VerifyOptions): Promise<Report> {
  const ctx = await createContext(o);
  const scenarios = new Set<Scenario>(o.scenarios ?? ['preflight', 'failover', 'rs']);
  const steps: Step[] = [];
  try {
    const settleMs = await ctx.settle();
    if (scenarios.has('preflight')) steps.push(...(await preflight(ctx, settleMs)));
    if (scenarios.has('failover') || scenarios.has('crash')) {
      await ctx.watchVip();
      await ctx.startProbe();
      await sleep(ctx.clock, 1000); // a baseline of successful probes
      if (scenarios.has('failover')) {
        const down = await inducedFailover(ctx, !!o.hard);
        steps.push(
          ...down.steps,
          ...(await preemption(ctx, o.hard ? 'hard' : 'clean', down.tStop)),
        );
      }
      if (scenarios.has('crash')) {
        const down = await crash(ctx);
        steps.push(...down.steps, ...(await preemption(ctx, 'crash', down.tStop)));
      }
    }
    if (scenarios.has('rs')) {
      if (!ctx.probe) await ctx.startProbe();
      steps.push(...(await realServerFailure(ctx)));
    }
  } finally {
    await ctx.close();
  }
  const { basis, ...limits } = ctx.bounds;
  return makeReport({
    stack: o.stack,
    daemon: o.spec.daemon,
    startedAt: new Date(ctx.tl.t0).toISOString(),
    steps,
    bounds: { ...basis, ...limits },
    timeline: ctx.tl,
    clocks: ctx.clockTable(),
  });
}
