import { strict as assert } from 'node:assert';
import { endScripts, runScript } from '../../../daemon/system/scripts';
import { parse } from '../config/helpers';

describe('child_wait_time: scripts still running at exit', () => {
  it('is a top-level keyword, 5 s by default as in keepalived', () => {
    assert.equal(parse('').config.child_wait_time, 5);
    const r = parse('child_wait_time 12\n');
    assert.deepEqual(r.diags, []);
    assert.equal(r.config.child_wait_time, 12);
    assert.match(parse('child_wait_time -1\n').diags.join('\n'), /error/);
  });

  it('lets a script that is just finishing (a notify_stop) end on its own', async () => {
    const done = runScript(['sh', '-c', 'sleep 0.2; exit 3'], 60_000);
    const t0 = Date.now();
    await endScripts(5000);
    assert.ok(Date.now() - t0 < 900, `${Date.now() - t0} ms`);
    assert.equal(await done, 3, 'it finished, it was not killed');
  });

  it('SIGTERMs what still runs after a second, and returns as soon as it is gone', async () => {
    const done = runScript(['sleep', '30'], 60_000);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await endScripts(5000);
    const took = Date.now() - t0;
    assert.ok(took >= 950 && took < 2000, `${took} ms`);
    assert.equal(await done, 128); // killed by a signal
  });

  it('waits child_wait_time for a script that ignores SIGTERM, then kills it', async () => {
    const done = runScript(['sh', '-c', 'trap "" TERM; sleep 30 & wait; sleep 30'], 60_000);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await endScripts(400);
    const took = Date.now() - t0;
    assert.ok(took >= 380 && took < 2000, `${took} ms`);
    assert.equal(await done, 128);
  });

  it('returns at once when nothing runs', async () => {
    const t0 = Date.now();
    await endScripts(5000);
    assert.ok(Date.now() - t0 < 50);
  });
});
