// Event-loop delay is sampled only while someone reads it.
import { strict as assert } from 'node:assert';
import { LoopLag } from '../../../daemon/system/loop-lag';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('loop lag on demand', () => {
  it('starts sampling at the first read, reports from the next, stops after a quiet window', async () => {
    const lag = new LoopLag(150, 10);
    assert.equal(lag.sampling, false, 'nobody looked: no sampling');
    assert.equal(lag.read(), undefined, 'the first read has nothing yet');
    assert.equal(lag.sampling, true);
    await wait(30);
    const until = Date.now() + 60;
    while (Date.now() < until); // block the loop 60 ms
    await wait(30);
    const r = lag.read();
    assert.ok(r && r.maxMs >= 40, `a 60 ms block is seen: ${JSON.stringify(r)}`);
    await wait(100);
    lag.read(); // a reader inside the window keeps it on
    await wait(100);
    assert.equal(lag.sampling, true);
    await wait(200);
    assert.equal(lag.sampling, false, 'no read for the window: sampling stops');
    lag.stop();
  });
});
