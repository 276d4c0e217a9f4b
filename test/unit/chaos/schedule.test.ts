// The soak's fault schedule: reproducible from its seed, every class in the
// first round, targets and hold times inside each class's ranges.
import { strict as assert } from 'node:assert';
import { CLASSES, FAULT_CLASSES, rsDeathHoldMs } from '../../../scripts/chaos/classes';
import { buildSchedule, countByClass, rng } from '../../../scripts/chaos/schedule';
import { deriveBounds } from '../../../verify/bounds';
import { readStackSpec } from '../../../components/stack-file';

const opts = (seed: number, minutes: number) => ({
  seed,
  durationMs: minutes * 60_000,
  rsDeathHoldMs: 8_000,
});

describe('chaos soak schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(buildSchedule(opts(7, 10)), buildSchedule(opts(7, 10)));
    assert.notDeepEqual(buildSchedule(opts(7, 10)), buildSchedule(opts(8, 10)));
    const r = rng(1);
    const xs = Array.from({ length: 1000 }, r);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(xs.reduce((a, b) => a + b) / xs.length - 0.5) < 0.05);
  });

  it('covers every class in a short run, in a seed-dependent order', () => {
    for (const seed of [1, 2, 3, 99]) {
      const s = buildSchedule(opts(seed, 0.5));
      assert.deepEqual(
        [...s.slice(0, FAULT_CLASSES.length).map((f) => f.cls)].sort(),
        [...FAULT_CLASSES].sort(),
      );
      assert.ok(Object.values(countByClass(s)).every((n) => n >= 1));
    }
    assert.notDeepEqual(
      buildSchedule(opts(1, 0)).map((f) => f.cls),
      buildSchedule(opts(2, 0)).map((f) => f.cls),
    );
  });

  it('fills a long run with faults spaced by their hold and settle times', () => {
    const s = buildSchedule(opts(5, 30));
    assert.ok(s.length > 60, `${s.length} faults in 30 min`);
    assert.ok(s.at(-1)!.at >= 29 * 60_000 - 30_000);
    for (let i = 1; i < s.length; i++) {
      const p = s[i - 1];
      assert.ok(s[i].at >= p.at + p.holdMs + CLASSES[p.cls].settleMs, `#${i} overlaps #${i - 1}`);
    }
    for (const f of s) {
      const [lo, hi] = CLASSES[f.cls].holdMs;
      if (f.cls === 'rs-death') assert.equal(f.holdMs, 8_000);
      else assert.ok(f.holdMs >= lo && f.holdMs <= hi, `${f.cls} hold ${f.holdMs}`);
      assert.ok(CLASSES[f.cls].targets.includes(f.target));
    }
    // both directors are hit
    assert.deepEqual(
      new Set(s.filter((f) => f.cls === 'kill').map((f) => f.target)),
      new Set(['d1', 'd2']),
    );
  });

  it("every class's outage bound comes from the lab's declaration (verify/bounds.ts) with a reason", () => {
    const b = deriveBounds(readStackSpec('lab'));
    for (const c of FAULT_CLASSES) {
      const { s, why } = CLASSES[c].bound(b);
      assert.ok(s >= 0 && why.length > 10, c);
    }
    assert.equal(CLASSES.kill.bound(b).s, b.hardOutage);
    assert.equal(CLASSES['rs-death'].bound(b).s, b.rsOut);
    assert.equal(CLASSES['hup-storm'].bound(b).s, 0);
    // a dead server is held past its removal bound, so the checker is seen removing it
    assert.ok(rsDeathHoldMs(b) > b.rsOut * 1000);
  });
});
