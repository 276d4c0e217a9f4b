// The soak's invariants catch what they are for: a dual VIP holder after a
// heal, an outage past its bound, an unasked-for exit, growing RSS or fds, a
// gap or a swap in the event stream; and stay quiet on a clean record.
import { strict as assert } from 'node:assert';
import {
  eventOrder,
  longestFailedRun,
  outages,
  pooledSlope,
  resourceSlopes,
  singleHolderAfterHeals,
  unexpectedExits,
  type FaultRecord,
  type HolderSample,
  type ResourceSample,
} from '../../../scripts/chaos/invariants';
import { formatReport } from '../../../scripts/chaos/report';
import { CLASSES, FAULT_CLASSES } from '../../../scripts/chaos/classes';
import { deriveBounds } from '../../../verify/bounds';
import { readStackSpec } from '../../../components/stack-file';

const fault = (o: Partial<FaultRecord> = {}): FaultRecord => ({
  index: 0,
  cls: 'stop',
  target: 'd1',
  start: 0,
  heal: 5_000,
  end: 10_000,
  ...o,
});

/** both directors sampled every 100 ms over [from, to), holding as `who(t)` says */
function sampleHolders(from: number, to: number, who: (t: number) => string[]): HolderSample[] {
  const out: HolderSample[] = [];
  for (let t = from; t < to; t += 100)
    for (const [host, dt] of [
      ['d1', 0],
      ['d2', 37],
    ] as const)
      out.push({ t: t + dt, host, holds: who(t + dt).includes(host) });
  return out;
}

describe('chaos soak invariants', () => {
  describe('single VIP holder after a heal', () => {
    it('flags two holders more than 1 s after the heal', () => {
      // d2 took over during the stop; d1 keeps the VIP for 2 s after SIGCONT
      const s = sampleHolders(0, 10_000, (t) =>
        t < 2_000 ? ['d1'] : t < 7_000 ? ['d1', 'd2'] : ['d1'],
      );
      const v = singleHolderAfterHeals(s, [fault()]).violations;
      assert.equal(v.length, 1);
      assert.equal(v[0].invariant, 'single-holder');
      assert.equal(v[0].fault, 0);
      assert.match(v[0].detail, /d1 and d2 both hold the VIP 1\d{3} ms after the heal/);
    });

    it('allows a dual holder during the fault and within 1 s of the heal', () => {
      const s = sampleHolders(0, 10_000, (t) =>
        t < 2_000 ? ['d1'] : t < 5_900 ? ['d1', 'd2'] : ['d1'],
      );
      assert.deepEqual(singleHolderAfterHeals(s, [fault()]).violations, []);
    });

    it('does not mistake a VIP move seen by samplers apart for two holders', () => {
      // d1 takes the VIP back at 8,000; d2 lets go at 8,010: d1's sampler sees it first
      const s = sampleHolders(0, 10_000, (t) =>
        t < 8_000 ? ['d2'] : t < 8_010 ? ['d1', 'd2'] : ['d1'],
      );
      assert.deepEqual(singleHolderAfterHeals(s, [fault()]).violations, []);
    });

    it('an overlap within the move allowance is a VIP move (reported), a longer one two holders', () => {
      // d1 takes the VIP back at 8,000 and is sampled first; d2 is seen with it 9 ms later
      const s: HolderSample[] = [
        { t: 7_900, host: 'd2', holds: true },
        { t: 8_000, host: 'd1', holds: true },
        { t: 8_009, host: 'd2', holds: true },
        { t: 8_100, host: 'd1', holds: true },
        { t: 8_109, host: 'd2', holds: false },
      ];
      const move = singleHolderAfterHeals(s, [fault()], 1_000, 250);
      assert.deepEqual(move, { violations: [], longestMoveMs: 9 });
      assert.equal(singleHolderAfterHeals(s, [fault()]).violations.length, 1);
      const long = sampleHolders(0, 10_000, (t) => (t < 2_000 ? ['d1'] : ['d1', 'd2']));
      assert.equal(singleHolderAfterHeals(long, [fault()], 1_000, 250).violations.length, 1);
    });

    it('ignores stale samples (a sampler that stopped says nothing about now)', () => {
      const s = [
        { t: 5_500, host: 'd2', holds: true },
        ...sampleHolders(6_100, 10_000, () => ['d1']).filter((x) => x.host === 'd1'),
      ];
      assert.deepEqual(singleHolderAfterHeals(s, [fault()]).violations, []);
    });
  });

  describe('client outage per fault', () => {
    const probes = (fail: (t: number) => boolean, to = 10_000) =>
      Array.from({ length: to / 50 }, (_, i) => ({ t: i * 50, ok: !fail(i * 50) }));

    it('the longest run of failures: first failure to the next success', () => {
      const r = longestFailedRun(
        probes((t) => (t >= 1_000 && t < 1_500) || (t >= 3_000 && t < 6_000)),
      );
      assert.deepEqual(r, { ms: 3_000, failed: 60, recovered: true });
      assert.equal(longestFailedRun(probes(() => false)).ms, 0);
      assert.equal(longestFailedRun(probes((t) => t > 9_000)).recovered, false);
    });

    it('flags an outage past the bound and one that never recovers, not one inside it', () => {
      const p = probes((t) => t >= 1_000 && t < 4_000);
      const bound = (ms: number) => () => ms;
      assert.equal(outages(p, [fault()], () => 'run', bound(3_500)).violations.length, 0);
      const over = outages(p, [fault()], () => 'run', bound(2_000));
      assert.equal(over.violations.length, 1);
      assert.match(
        over.violations[0].detail,
        /outage 3000 ms \(60 failed probes\) > bound 2000 ms/,
      );
      assert.equal(over.outages[0].ms, 3_000);
      const never = outages(
        probes((t) => t >= 8_000),
        [fault()],
        () => 'run',
        bound(1e9),
      );
      assert.match(never.violations[0].detail, /never recovered/);
    });

    it('a dead real server: from the first failure to the recovery, though half the probes succeed', () => {
      const p = probes((t) => t >= 1_000 && t < 5_000 && t % 100 === 0);
      const run = outages(
        p,
        [fault({ cls: 'rs-death' })],
        () => 'run',
        () => 1_000,
      );
      assert.equal(run.outages[0].ms, 50, 'runs see only single failures');
      const span = outages(
        p,
        [fault({ cls: 'rs-death' })],
        () => 'span',
        () => 1_000,
      );
      assert.equal(span.outages[0].ms, 4_000 - 50);
      assert.equal(span.violations.length, 1);
    });

    it('a window without a single probe is a violation, not a pass', () => {
      const r = outages(
        [],
        [fault()],
        () => 'run',
        () => 1_000,
      );
      assert.match(r.violations[0].detail, /no probe samples/);
    });
  });

  it('flags a daemon that exited without being killed', () => {
    const v = unexpectedExits(
      [
        { host: 'd1', pid: 10, start: 0, end: 5_000, killed: true },
        { host: 'd1', pid: 11, start: 5_000 },
        { host: 'd2', pid: 12, start: 0, end: 61_000, killed: false },
      ].map((l) => ({ killed: false, ...l })),
    );
    assert.equal(v.length, 1);
    assert.match(v[0].detail, /d2: daemon pid 12 exited without being killed \(lived 61.0 s\)/);
  });

  describe('RSS and open fds stay flat', () => {
    /** samples every 5 s over `min` minutes for each pid, RSS by `rss(t)` */
    const usage = (pids: number[], min: number, rss: (t: number) => number, fds = () => 20) =>
      pids.flatMap((pid, k) =>
        Array.from({ length: (min * 60) / 5 }, (_, i): ResourceSample => {
          const t = k * min * 60_000 + i * 5_000;
          return { t, host: 'd1', pid, rssKb: rss(t - k * min * 60_000), fds: fds() };
        }),
      );

    it('pooled slope: each life its own level, one common slope', () => {
      assert.equal(
        pooledSlope([
          [
            { x: 0, y: 5 },
            { x: 1, y: 7 },
          ],
          [
            { x: 10, y: 100 },
            { x: 11, y: 102 },
          ],
        ]),
        2,
      );
      assert.equal(pooledSlope([[{ x: 0, y: 1 }]]), undefined);
    });

    it('flags a growing RSS (a leak across restarts too), passes a flat sawtooth', () => {
      // 60 MB + 2 MB per minute = 120 MB/h, in two lives of 10 minutes
      const leak = resourceSlopes(usage([1, 2], 10, (t) => 60 * 1024 + (t / 60_000) * 2048));
      assert.equal(leak.violations.length, 1);
      assert.match(leak.violations[0].detail, /d1: RSS grows 120.0 MB\/h/);
      // a heap that grows 3 MB in 50 s and is collected back, in lives of 4 minutes
      const saw = resourceSlopes(usage([1, 2, 3], 4, (t) => 60 * 1024 + ((t / 1000) % 50) * 60));
      assert.deepEqual(saw.violations, []);
      assert.ok(Math.abs(saw.slopes[0].rssMbPerHour!) < 5);
    });

    it('flags growing open fds', () => {
      let n = 20;
      const r = resourceSlopes(
        usage(
          [1],
          10,
          () => 60 * 1024,
          () => (n += 0.01),
        ),
      );
      assert.equal(r.violations.length, 1);
      assert.match(r.violations[0].detail, /open fds grow/);
    });

    it('does not judge what it barely observed (warm-up dropped, too little left)', () => {
      const r = resourceSlopes(usage([1], 2, (t) => t));
      assert.deepEqual(r.violations, []);
      assert.equal(r.slopes[0].rssMbPerHour, undefined);
    });
  });

  describe('the event stream is complete and in order', () => {
    const ev = (pid: number, seq: number, wallTime = seq * 10) => ({
      host: 'd1',
      pid,
      seq,
      wallTime,
    });
    it('passes 1, 2, 3 per daemon life, a restart starting again at 1', () => {
      assert.deepEqual(eventOrder([ev(5, 1), ev(5, 2), ev(5, 3), ev(6, 1), ev(6, 2)]), []);
    });
    it('flags a gap, a repeat, a swap, a late start and a time going back', () => {
      assert.match(eventOrder([ev(5, 1), ev(5, 3)])[0].detail, /seq 3 where 2 was due/);
      assert.equal(eventOrder([ev(5, 1), ev(5, 1)]).length, 1);
      assert.equal(eventOrder([ev(5, 1), ev(5, 3), ev(5, 2)]).length, 2);
      assert.match(eventOrder([ev(5, 2)])[0].detail, /seq 2 where 1 was due/);
      assert.match(eventOrder([ev(5, 1, 100), ev(5, 2, 50)])[0].detail, /earlier/);
    });
  });

  it('the report names every class, its bound, the violations and the slopes', () => {
    const b = deriveBounds(readStackSpec('lab'));
    const bounds = Object.fromEntries(FAULT_CLASSES.map((c) => [c, CLASSES[c].bound(b)])) as never;
    const f = fault({ cls: 'kill' });
    const text = formatReport({
      seed: 3,
      minutes: 2,
      faults: [f],
      outages: [{ fault: f, ms: 3_900, failed: 70, probes: 200, boundMs: b.hardOutage * 1000 }],
      violations: [{ invariant: 'exit', at: 0, detail: 'd1: daemon pid 1 exited', fault: 0 }],
      slopes: [{ host: 'd1', observedMin: 1, samples: 3 }],
      bounds,
      observed: { holderSamples: 1, probes: 200, events: 4, usageSamples: 3, lives: 2 },
    });
    for (const c of FAULT_CLASSES) assert.match(text, new RegExp(`^${c} `, 'm'));
    assert.match(text, /^kill\s+1\s+1\s+3900 ms\s+4359 ms$/m);
    assert.match(text, /\[exit\]/);
    assert.match(text, /too little observed to judge/);
  });
});
