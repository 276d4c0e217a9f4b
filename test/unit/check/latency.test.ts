// Check durations: the histogram's bookkeeping, the manager timing each probe,
// and the Prometheus lines the metrics endpoint makes of them.
import { strict as assert } from 'node:assert';
import { CHECK_LATENCY_BUCKETS, CheckLatency } from '../../../daemon/check/latency';
import { HealthManager, type Probes } from '../../../daemon/check/manager';
import { parseText } from '../../../daemon/config/index';
import { buildRegistry } from '../../../daemon/control/metrics';
import type { DaemonStatus } from '../../../daemon/control/status';
import { FakeClock } from '../vrrp/fakes';

const VS = 'TCP 198.51.100.10:80';
const bucketOf = (h: CheckLatency, le: number) =>
  h.snapshot()[0].cumulative[CHECK_LATENCY_BUCKETS.indexOf(le as never)];

describe('check latency histogram', () => {
  it('counts each duration in its bucket and every larger one, the rest only in +Inf', () => {
    const h = new CheckLatency();
    for (const s of [0.0005, 0.001, 0.003, 0.7, 20]) h.observe(VS, 'TCP_CHECK', s);
    const [s] = h.snapshot();
    assert.equal(s.count, 5);
    assert.ok(Math.abs(s.sumSeconds - 20.7045) < 1e-9);
    assert.equal(bucketOf(h, 0.001), 2, 'le is inclusive');
    assert.equal(bucketOf(h, 0.0025), 2);
    assert.equal(bucketOf(h, 0.005), 3);
    assert.equal(bucketOf(h, 0.5), 3);
    assert.equal(bucketOf(h, 1), 4);
    assert.equal(bucketOf(h, 10), 4, '20 s lands beyond the largest bound');
  });

  it('keeps one series per virtual server and checker, and drops removed virtual servers', () => {
    const h = new CheckLatency();
    h.observe(VS, 'TCP_CHECK', 0.01);
    h.observe(VS, 'HTTP_GET', 0.01);
    h.observe('TCP 198.51.100.11:80', 'TCP_CHECK', 0.01);
    assert.equal(h.snapshot().length, 3);
    h.retain(new Set([VS]));
    assert.deepEqual(
      h
        .snapshot()
        .map((s) => s.checker)
        .sort(),
      ['HTTP_GET', 'TCP_CHECK'],
    );
  });

  it('the health manager records how long each probe took on its clock', async () => {
    const clock = new FakeClock();
    const ok = { ok: true };
    // a TCP connect that answers 40 ms after it starts
    const tcp: Probes['tcp'] = () => new Promise((r) => clock.at(clock.now() + 40, () => r(ok)));
    const probes = { tcp } as unknown as Probes;
    const conf =
      'virtual_server 198.51.100.10 80 {\n delay_loop 1\n lb_kind DR\n protocol TCP\n' +
      ' real_server 198.51.100.21 80 {\n  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n}\n';
    const latency = new CheckLatency();
    const m = new HealthManager(
      parseText(conf).config,
      {
        clock,
        probes,
        latency,
        apply: async () => {},
        runScript: async () => 0,
        log: () => {},
        isLocal: () => true,
      },
      () => 0,
    );
    m.start();
    for (let t = 0; t < 3500; t += 10) {
      clock.advance(10);
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    m.stop();
    const [s] = latency.snapshot();
    assert.equal(s.virtualServer, VS);
    assert.equal(s.checker, 'TCP_CHECK');
    assert.equal(s.count, m.stats.checks);
    assert.ok(s.count >= 3, `3 checks in 3.5 s at delay_loop 1 (got ${s.count})`);
    assert.equal(bucketOf(latency, 0.025), 0, 'none faster than 40 ms');
    assert.equal(bucketOf(latency, 0.05), s.count, 'all within 50 ms');
    assert.ok(Math.abs(s.sumSeconds - 0.04 * s.count) < 0.011 * s.count);
  });

  it('is exported as a Prometheus histogram (_bucket with le, _sum, _count)', async () => {
    const h = new CheckLatency();
    h.observe(VS, 'TCP_CHECK', 0.04);
    h.observe(VS, 'TCP_CHECK', 3);
    const st = {
      instances: [],
      virtualServers: [],
      loop: {},
      checkLatency: h.snapshot(),
    } as unknown as DaemonStatus;
    const text = await buildRegistry({
      status: async () => st,
      transitions: () => new Map(),
    }).scrape();
    const series = `virtual_server="${VS}",checker="TCP_CHECK"`;
    for (const line of [
      '# TYPE keepalive_check_duration_seconds histogram',
      `keepalive_check_duration_seconds_bucket{${series},le="0.025"} 0`,
      `keepalive_check_duration_seconds_bucket{${series},le="0.05"} 1`,
      `keepalive_check_duration_seconds_bucket{${series},le="2.5"} 1`,
      `keepalive_check_duration_seconds_bucket{${series},le="5"} 2`,
      `keepalive_check_duration_seconds_bucket{${series},le="+Inf"} 2`,
      `keepalive_check_duration_seconds_sum{${series}} 3.04`,
      `keepalive_check_duration_seconds_count{${series}} 2`,
    ])
      assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  });
});
