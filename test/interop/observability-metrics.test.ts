// Every metric and label the Grafana dashboard and the Prometheus rules use is
// one a running daemon exports: keepalive-ts with a VRRP instance, a tracker
// and a checked virtual server, in a namespace of the test's own, scraped on
// metrics_listen. A panel or alert querying a name the daemon does not export
// (or no longer exports) fails here.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { which } from '../../scripts/lab/deps';
import { run, waitFor } from '../../scripts/lab/sys';
import {
  dashboardQueries,
  exposition,
  metricNames,
  missingFromExposition,
  ruleQueries,
} from '../unit/observability/queries';
import { testNetns, type TestNetns } from './netns-daemon';

const LISTEN = '127.0.0.1:9651';

const CONF = `global_defs {
  router_id obs
  lvs_backend nftables
  metrics_listen ${LISTEN}
}
vrrp_instance VI_1 {
  state BACKUP
  interface lan0
  virtual_router_id 61
  priority 100
  advert_int 1
  track_interface {
    lan0
  }
  virtual_ipaddress {
    198.51.100.10/24
  }
}
virtual_server 203.0.113.10 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.1 9 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

describe('dashboard and rules use only what the daemon exports (netns)', function () {
  this.timeout(60_000);
  let t: TestNetns;
  before(async function () {
    if (!which('nft') || !which('curl')) this.skip(); // nftables and curl: Debian packages in .ci/run
    t = await testNetns('obsm');
  });
  after(async () => t?.close());

  it('every metric name and label in observability/ is in a scrape of a running daemon', async () => {
    const conf = path.join(t.dir, 'obs.conf');
    writeFileSync(conf, CONF);
    const d = t.daemon(conf);
    const scrape = async () =>
      (
        await run('ip', [
          'netns',
          'exec',
          t.ns,
          'curl',
          '-s',
          '--max-time',
          '2',
          `http://${LISTEN}/metrics`,
        ])
      ).stdout;
    let text = '';
    // MASTER after the master-down wait (a transition), a check run, loop lag sampled
    // (absent on the first scrape)
    await waitFor(
      'the daemon MASTER, a check timed and the loop lag sampled',
      async () => {
        text = await scrape();
        return (
          text.includes('keepalive_vrrp_state{instance="VI_1",state="MASTER"} 1') &&
          /^keepalive_check_duration_seconds_count\{.*\} [1-9]/m.test(text) &&
          /^keepalive_event_loop_lag_seconds\{thread="vrrp"/m.test(text)
        );
      },
      20_000,
      250,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nscrape:\n${text}\ndaemon:\n${d.out()}`);
    });
    const exp = exposition(text);
    const queries = [...dashboardQueries(), ...ruleQueries()];
    const used = new Set(queries.flatMap((q) => metricNames(q.expr)));
    assert.ok(used.size >= 15, `${used.size} metric names used`);
    assert.deepEqual(missingFromExposition(queries, exp), []);
    // the histogram as Prometheus expects it
    for (const suffix of ['_bucket', '_sum', '_count'])
      assert.ok(exp.has(`keepalive_check_duration_seconds${suffix}`), suffix);
    assert.ok(exp.get('keepalive_check_duration_seconds_bucket')!.has('le'));
  });
});
