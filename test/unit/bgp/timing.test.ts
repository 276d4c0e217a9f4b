import { strict as assert } from 'node:assert';
import { bfdDetectMs, errorWaitSeconds, routerDropBoundMs } from '../../../daemon/bgp/timing';

describe('active-active timing', () => {
  it('a dead director is dropped after BFD detection, or after the hold time without BFD', () => {
    const bfd = { enabled: true, intervalMs: 100, multiplier: 3 };
    assert.equal(bfdDetectMs(bfd), 300);
    assert.equal(routerDropBoundMs({ holdTime: 9, bfd }), 300);
    assert.equal(routerDropBoundMs({ holdTime: 9, bfd: { ...bfd, enabled: false } }), 9000);
    assert.equal(
      routerDropBoundMs({ holdTime: 90, bfd: { ...bfd, intervalMs: 50, multiplier: 5 } }),
      250,
    );
  });

  it("BIRD's error wait starts at the retry time, up to six times it", () => {
    assert.deepEqual(errorWaitSeconds(5), [5, 30]);
    assert.deepEqual(errorWaitSeconds(1), [1, 6]);
  });
});
