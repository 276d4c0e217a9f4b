// Connection survival in the active-active lab, one scenario at a time: N
// long-lived connections through the VIP, then a director drained, added
// back, or killed at its switch port (with BFD, or with the BGP hold timer
// alone); the connections judged (survival-judge.ts) and the router's stop
// time taken from its own route events. Each scenario restores the lab (all
// directors in the route) before it returns, bounded in time.
import { routerDropBoundMs } from '../../daemon/bgp/timing';
import type { ClusterSpec } from '../../components/spec';
import { firstAddOf, firstDropOf, type RouteEvent } from '../../verify/route-events';
import type { Lab } from '../lab/lab';
import {
  countFlows,
  drain,
  nowMs,
  packetCounts,
  shares,
  silence,
  uncountFlows,
  portDown,
  setBfd,
  setClientTxRehash,
  startSurvival,
  waitForRoute,
  watchRoutes,
} from './lab-ops';
import { judgeSurvival, type SurvivalVerdict } from './survival-judge';

/**
 * kill-*: the director's switch port goes down (the switch then floods frames
 * for its MAC to the other directors); silent-*: the director drops all but
 * SSH itself, its port up (the frames keep going to it and are lost).
 */
export const SCENARIOS = [
  'drain',
  'add',
  'kill-bfd',
  'kill-hold',
  'silent-bfd',
  'silent-hold',
] as const;
export type SurvivalScenario = (typeof SCENARIOS)[number];

export interface SurvivalOptions {
  connections: number;
  intervalMs: number;
  /** no answer for longer than this = broken */
  answerBoundMs: number;
  /** how long connections run after the change settled */
  settleMs: number;
  log: (m: string) => void;
}

export const SURVIVAL_DEFAULTS: Omit<SurvivalOptions, 'log'> = {
  connections: 200,
  intervalMs: 100,
  answerBoundMs: 5000,
  settleMs: 3000,
};

export interface ScenarioResult {
  scenario: SurvivalScenario;
  director: string;
  verdict: SurvivalVerdict;
  /** ms from the change (port down, drain, undrain) to the router's route change */
  routerMs?: number;
  /** the bound routerMs is judged against (routerDropBoundMs for a kill) */
  routerBoundMs?: number;
  /** each director's share of the connections' packets before the change (nft counters) */
  shareBefore: Record<string, number>;
  /** packets for another host's MAC the directors saw after the change (switch flooding) */
  floodedAfter: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait (bounded) for a route event about `address` after `from`; ms after `from`. */
async function routeChange(
  events: RouteEvent[],
  address: string,
  kind: 'drop' | 'add',
  from: number,
  timeoutMs: number,
) {
  const find = () =>
    kind === 'drop' ? firstDropOf(events, address, from) : firstAddOf(events, address, from);
  const end = nowMs() + timeoutMs;
  while (!find() && nowMs() < end) await sleep(20);
  const e = find();
  return e && e.t - from;
}

export async function runScenario(
  lab: Lab,
  spec: ClusterSpec,
  stack: string,
  scenario: SurvivalScenario,
  o: SurvivalOptions,
): Promise<ScenarioResult> {
  const bgp = spec.bgp!;
  const vip = spec.vip.split('/')[0];
  const port = spec.services[0].port;
  const all = spec.directors.map((d) => d.address);
  // kill the last director, drain and add the first (as the verification does)
  const kill = scenario.startsWith('kill') || scenario.startsWith('silent');
  const victim = spec.directors[kill ? spec.directors.length - 1 : 0];
  const others = all.filter((a) => a !== victim.address);
  const restoreMs = (bgp.retrySeconds * 6 + bgp.holdTime + bgp.announceAfterSeconds + 20) * 1000;
  const ensureAll = async () => {
    if ((await waitForRoute(lab, vip, all, restoreMs)) === undefined)
      throw new Error(
        `the router's route to ${vip} did not list every director within ${restoreMs} ms`,
      );
  };
  const bfd = !scenario.endsWith('-hold');
  if (!bfd) {
    o.log('BFD off on the router and every director (birdc configure)');
    await setBfd(lab, spec, stack, false);
  }
  if (scenario === 'add') {
    // the director starts drained: the measurement is its return
    await drain(lab, spec, victim.name, true);
    if ((await waitForRoute(lab, vip, others, 10_000)) === undefined)
      throw new Error(`${victim.name} drained but still in the router's route`);
  } else await ensureAll();

  const routes = watchRoutes(lab, vip);
  let result: ScenarioResult | undefined;
  // a flow stays on its director through retransmissions, as behind a real router
  const txRehash = await setClientTxRehash(lab, '0');
  try {
    const agent = await startSurvival(lab, vip, port, {
      connections: o.connections,
      intervalMs: o.intervalMs,
      maxSeconds: 120,
    });
    o.log(`${agent.up}/${o.connections} connections up; ${scenario} of ${victim.name}`);
    await countFlows(lab, spec);
    const counted = await packetCounts(lab, spec);
    await sleep(1500);
    const shareBefore = shares(counted, await packetCounts(lab, spec));
    const other0 = await packetCounts(lab, spec, 'otherHost');
    let routerMs: number | undefined;
    let routerBoundMs: number | undefined;
    let t0: number;
    if (scenario === 'drain') {
      t0 = await drain(lab, spec, victim.name, true);
      routerMs = await routeChange(routes.events, victim.address, 'drop', t0, 10_000);
    } else if (scenario === 'add') {
      t0 = await drain(lab, spec, victim.name, false);
      routerMs = await routeChange(routes.events, victim.address, 'add', t0, 20_000);
    } else {
      routerBoundMs = routerDropBoundMs({ ...bgp, bfd: { ...bgp.bfd, enabled: bfd } });
      t0 = scenario.startsWith('silent')
        ? await silence(lab, spec, victim.name, true)
        : await portDown(lab, victim.name, true);
      routerMs = await routeChange(
        routes.events,
        victim.address,
        'drop',
        t0,
        routerBoundMs * 2 + 3000,
      );
    }
    await sleep(o.settleMs);
    const rec = await agent.stop();
    const other1 = await packetCounts(lab, spec, 'otherHost');
    const floodedAfter = Object.keys(other1).reduce((a, d) => a + other1[d] - other0[d], 0);
    const verdict = judgeSurvival(rec.conns, {
      end: rec.end,
      answerBoundMs: o.answerBoundMs,
      stallThresholdMs: 2 * o.intervalMs + 50,
    });
    result = {
      scenario,
      director: victim.name,
      verdict,
      routerMs,
      routerBoundMs,
      shareBefore,
      floodedAfter,
    };
  } finally {
    routes.stop();
    await setClientTxRehash(lab, txRehash);
    await uncountFlows(lab, spec);
    // back to every director in the route, whatever happened
    if (scenario.startsWith('kill')) await portDown(lab, victim.name, false);
    if (scenario.startsWith('silent')) await silence(lab, spec, victim.name, false);
    if (scenario === 'drain' || scenario === 'add')
      await drain(lab, spec, victim.name, false).catch(() => {});
    if (!bfd) await setBfd(lab, spec, stack, true);
  }
  const t = nowMs();
  await ensureAll();
  o.log(`all directors back in the route after ${Math.round(nowMs() - t)} ms`);
  return result;
}
