// Host clocks onto the verifier's clock: NTP-style offset from the
// minimum-round-trip sample, and the timestamp formats hosts print.
import { strict as assert } from 'node:assert';
import {
  estimateOffset,
  parseEpochNs,
  parseIpTimestamp,
  toLocal,
} from '../../../verify/clock-sync';

describe('verify-failover: host clocks', () => {
  it('takes the offset from the sample with the smallest round trip, ± half of it', () => {
    // host clock 5000 ms ahead; the 2 ms exchange is the trustworthy one
    const c = estimateOffset([
      { sent: 100, remote: 5140, received: 160 }, // slow reply, asymmetric
      { sent: 200, remote: 5201, received: 202 },
      { sent: 300, remote: 5330, received: 340 },
    ]);
    assert.equal(c.offsetMs, 5000);
    assert.equal(c.uncertaintyMs, 1);
    assert.equal(c.rttMs, 2);
    assert.equal(toLocal(c, 9000), 4000);
    assert.throws(() => estimateOffset([]), /no clock samples/);
  });

  it('reads `date +%s%N` (ns) as ms with sub-ms precision', () => {
    assert.equal(parseEpochNs('1764651232612931123\n'), 1764651232612.9312);
    assert.equal(parseEpochNs('x\n'), undefined);
  });

  it('reads the timestamp of `TZ=UTC ip -ts monitor` lines', () => {
    const e = parseIpTimestamp(
      '[2026-12-02T04:53:52.612931] Deleted 1: lo    inet 198.51.100.77/32 scope global lo',
    );
    assert.equal(e?.t, Date.UTC(2026, 11, 2, 4, 53, 52) + 612.931);
    assert.match(e!.rest, /^Deleted 1: lo/);
    assert.equal(parseIpTimestamp('2: lan0 inet 198.51.100.10/24'), undefined);
  });
});
