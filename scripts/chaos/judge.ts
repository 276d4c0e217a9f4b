// Everything a soak observed, judged: the invariants over the record, the
// summary the report prints. Pure, so a saved record (--record) can be
// judged again (--judge) without a lab.
import type { ProbeSample } from '../../verify/timeline';
import type { Bounds } from '../../verify/bounds';
import { SLACK } from '../../verify/bounds';
import { CLASSES, FAULT_CLASSES, type FaultClass } from './classes';
import {
  eventOrder,
  outages,
  resourceSlopes,
  singleHolderAfterHeals,
  unexpectedExits,
  type EventSample,
  type FaultRecord,
  type HolderSample,
  type Lifetime,
  type ResourceSample,
  type Violation,
} from './invariants';
import type { SoakSummary } from './report';

export interface SoakRecord {
  seed: number;
  /** the run's length (records from before it was saved: the faults' span) */
  minutes?: number;
  records: FaultRecord[];
  holders: HolderSample[];
  probes: ProbeSample[];
  events: EventSample[];
  lives: Lifetime[];
  usage: ResourceSample[];
  /** what the faults themselves found (a reload not rejected, a pair that did not settle) */
  extra?: Violation[];
}

export function judge(r: SoakRecord, bounds: Bounds): SoakSummary {
  const boundOf = Object.fromEntries(
    FAULT_CLASSES.map((c) => [c, CLASSES[c].bound(bounds)]),
  ) as Record<FaultClass, { s: number; why: string }>;
  const og = outages(
    r.probes,
    r.records,
    (c) => CLASSES[c].measure,
    (c) => boundOf[c].s * 1000,
  );
  const res = resourceSlopes(r.usage);
  // a VIP move (preemption back) has the new master add the VIP before the old one hears its
  // advert: an overlap up to the takeover allowance is a move, not two holders
  const holders = singleHolderAfterHeals(r.holders, r.records, 1_000, SLACK.takeover * 1000);
  const violations = [
    ...holders.violations,
    ...og.violations,
    ...unexpectedExits(r.lives),
    ...res.violations,
    ...eventOrder(r.events),
    ...(r.extra ?? []),
  ].sort((a, b) => a.at - b.at);
  return {
    seed: r.seed,
    minutes:
      r.minutes ??
      (r.records.length ? (r.records[r.records.length - 1].end - r.records[0].start) / 60_000 : 0),
    faults: r.records,
    outages: og.outages,
    violations,
    slopes: res.slopes,
    bounds: boundOf,
    longestMoveOverlapMs: holders.longestMoveMs,
    observed: {
      holderSamples: r.holders.length,
      probes: r.probes.length,
      events: r.events.length,
      usageSamples: r.usage.length,
      lives: r.lives.length,
    },
  };
}
