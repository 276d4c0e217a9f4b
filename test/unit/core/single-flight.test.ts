import { strict as assert } from 'node:assert';
import { singleFlight } from '../../../daemon/core/single-flight';

describe('singleFlight', () => {
  it('shares one running call among concurrent callers, then calls afresh', async () => {
    let calls = 0;
    const status = singleFlight(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return calls;
    });
    assert.deepEqual(await Promise.all([status(), status(), status()]), [1, 1, 1]);
    assert.equal(await status(), 2);
    const failing = singleFlight(() => Promise.reject(new Error('no')));
    await assert.rejects(failing(), /no/);
    await assert.rejects(failing(), /no/); // a failure is not kept either
  });
});
