// The failover verification of a deployed pair and pool, scenario by
// scenario (verify/scenarios/): preflight, an induced failover (clean stop,
// or link down with --hard) or a crash, each followed by the master's
// preemption back, and a real server's failure and return. One shared
// context (context.ts) records the timeline; the report (report.ts) judges
// every timing against the bounds the declaration implies (bounds.ts).
import { sleep } from '../daemon/core/clock';
import { makeReport, type Report, type Step } from './report';
import { createContext, type Ctx, type Scenario, type VerifyOptions } from './context';
import { deriveAaBounds, type AaBounds } from './bounds-aa';
import type { Bounds } from './bounds';
import { activeActive } from './scenarios/active-active';
import { crash } from './scenarios/crash';
import { inducedFailover } from './scenarios/failover';
import { preemption } from './scenarios/preemption';
import { preflight } from './scenarios/preflight';
import { realServerFailure } from './scenarios/real-server';

export { realClock, type Clock, type Scenario, type VerifyOptions } from './context';

/** The scenarios a declaration gets when none are named: VRRP's for a pair, active-active's otherwise. */
export const defaultScenarios = (mode: string): Scenario[] =>
  mode === 'active-active' ? ['active-active'] : ['preflight', 'failover', 'rs'];

export async function verify(o: VerifyOptions): Promise<Report> {
  if (o.spec.mode === 'active-active') return verifyActiveActive(o);
  const ctx = await createContext(o);
  const scenarios = new Set<Scenario>(o.scenarios ?? defaultScenarios(o.spec.mode));
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
  return reportOf(o, ctx, steps, ctx.bounds);
}

/** The report of a run: its steps, the bounds they were judged against, the timeline and clocks. */
function reportOf(
  o: VerifyOptions,
  ctx: Ctx,
  steps: Step[],
  { basis, ...limits }: Bounds | AaBounds,
): Report {
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

/** Active-active: no VIP moves and no master; directors are killed, drained and added. */
async function verifyActiveActive(o: VerifyOptions): Promise<Report> {
  const unknown = (o.scenarios ?? []).filter((s) => s !== 'active-active');
  if (unknown.length)
    throw new Error(
      `active-active: only the active-active scenario applies (not ${unknown.join(', ')})`,
    );
  const ctx = await createContext(o);
  const steps: Step[] = [];
  try {
    steps.push(...(await activeActive(ctx)));
  } finally {
    await ctx.close();
  }
  return reportOf(o, ctx, steps, deriveAaBounds(o.spec));
}
