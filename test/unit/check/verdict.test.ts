import { strict as assert } from 'node:assert';
import {
  CheckSchedule,
  detectionBoundS,
  miscVerdict,
  quorumState,
  statusOk,
} from '../../../daemon/check/verdict';

const seed = { delayLoop: 6, retry: 3, delayBeforeRetry: 3, warmup: 6, alpha: false };

describe('check verdicts (keepalived timing semantics)', () => {
  it('a server is marked down only after retry+1 consecutive failures, delay_before_retry apart', () => {
    const s = new CheckSchedule(seed, () => 0);
    let t = s.first(0);
    assert.equal(t, 0);
    let v = s.result(true, t);
    assert.deepEqual(v, { up: true, changed: false, nextAt: 6000 });
    t = v.nextAt;
    const fails: number[] = [];
    for (let i = 0; i < 3; i++) {
      v = s.result(false, t);
      assert.equal(v.up, true, `still up after failure ${i + 1}`);
      fails.push(v.nextAt - t);
      t = v.nextAt;
    }
    assert.deepEqual(fails, [3000, 3000, 3000]);
    v = s.result(false, t);
    assert.deepEqual([v.up, v.changed, v.nextAt - t], [false, true, 6000]);
  });

  it('one success brings a down server back at once; a success resets the failure count', () => {
    const s = new CheckSchedule(seed, () => 0);
    s.result(false, 0);
    s.result(true, 10);
    assert.equal(s.failures, 0);
    for (let i = 0; i < 4; i++) s.result(false, 100 + i);
    assert.equal(s.up, false);
    const v = s.result(true, 200);
    assert.deepEqual([v.up, v.changed], [true, true]);
  });

  it('alpha starts down; warmup spreads the first check over [0, warmup]', () => {
    assert.equal(new CheckSchedule({ ...seed, alpha: true }).up, false);
    assert.equal(new CheckSchedule(seed, () => 0.5).first(1000), 4000);
    assert.equal(new CheckSchedule({ ...seed, warmup: 0 }, () => 0.9).first(1000), 1000);
  });

  it('bounds detection time: delay_loop + (retry+1) x connect_timeout + retry x delay_before_retry', () => {
    assert.equal(detectionBoundS({ ...seed, connectTimeout: 3 }), 6 + 4 * 3 + 3 * 3);
  });

  it('quorum with hysteresis: gain at quorum+h, lose below quorum-h', () => {
    assert.equal(quorumState(false, 3, 3, 1), false);
    assert.equal(quorumState(false, 4, 3, 1), true);
    assert.equal(quorumState(true, 2, 3, 1), true);
    assert.equal(quorumState(true, 1, 3, 1), false);
  });

  it('misc_dynamic maps exit codes to weights; HTTP status ranges default to 200-299', () => {
    assert.deepEqual(miscVerdict(0, true), { ok: true });
    assert.deepEqual(miscVerdict(1, true), { ok: false });
    assert.deepEqual(miscVerdict(12, true), { ok: true, weight: 10 });
    assert.deepEqual(miscVerdict(12, false), { ok: false });
    assert.equal(statusOk(204, undefined), true);
    assert.equal(statusOk(301, undefined), false);
    assert.equal(statusOk(301, [{ from: 300, to: 399 }]), true);
  });
});
