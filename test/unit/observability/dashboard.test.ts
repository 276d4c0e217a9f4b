// The Grafana dashboard: valid JSON a Grafana can import, every panel querying
// the chosen Prometheus data source, and a panel for each thing operators watch.
import { strict as assert } from 'node:assert';
import {
  allPanels,
  dashboardQueries,
  exposition,
  metricNames,
  missingFromExposition,
  readDashboard,
} from './queries';

const DS_VAR = '${datasource}';

describe('Grafana dashboard (observability/grafana)', () => {
  const d = readDashboard();
  const panels = allPanels(d).filter((p) => p.type !== 'row');

  it('has a Prometheus data source variable and job/instance variables that use it', () => {
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    const ds = vars.get('datasource');
    assert.equal(ds?.type, 'datasource');
    assert.equal(ds?.query, 'prometheus');
    for (const name of ['job', 'instance']) {
      const v = vars.get(name);
      assert.equal(v?.type, 'query', `$${name} is a query variable`);
      assert.equal(v?.datasource?.uid, DS_VAR, `$${name} queries ${DS_VAR}`);
    }
    assert.ok(d.uid && d.title, 'uid and title (import keeps the uid)');
  });

  it('every panel queries the data source variable, each target with an expression', () => {
    assert.ok(panels.length >= 10, `${panels.length} panels`);
    for (const p of panels) {
      assert.equal(p.datasource?.uid, DS_VAR, `panel "${p.title}" data source`);
      assert.ok(p.targets && p.targets.length > 0, `panel "${p.title}" has targets`);
      const refIds = p.targets.map((t) => t.refId);
      assert.equal(new Set(refIds).size, refIds.length, `panel "${p.title}" refIds unique`);
      for (const t of p.targets) {
        assert.ok(
          typeof t.expr === 'string' && t.expr.trim(),
          `panel "${p.title}" ${t.refId} expr`,
        );
        assert.equal(t.datasource?.uid, DS_VAR, `panel "${p.title}" ${t.refId} data source`);
        assert.match(t.expr, /\$job/, `panel "${p.title}" ${t.refId} follows $job`);
      }
    }
  });

  it('panels do not overlap on the grid', () => {
    const cells = new Map<string, string>();
    for (const p of allPanels(d)) {
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.x + g.w <= 24, `panel "${p.title}" within 24 columns`);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          const other = cells.get(`${x},${y}`);
          assert.ok(!other, `panels "${other}" and "${p.title}" overlap at ${x},${y}`);
          cells.set(`${x},${y}`, p.title);
        }
    }
  });

  it('covers state, transitions, adverts, drops, real servers in service, check latency and loop lag', () => {
    const used = new Set(dashboardQueries(d).flatMap((q) => metricNames(q.expr)));
    for (const name of [
      'keepalive_vrrp_state',
      'keepalive_vrrp_transitions_total',
      'keepalive_vrrp_adverts_sent_total',
      'keepalive_vrrp_adverts_received_total',
      'keepalive_vrrp_drops_total',
      'keepalive_real_server_in_service',
      'keepalive_check_duration_seconds_bucket',
      'keepalive_event_loop_lag_seconds',
    ])
      assert.ok(used.has(name), `no panel shows ${name}`);
    const lag = dashboardQueries(d).find((q) => q.expr.includes('keepalive_event_loop_lag'));
    assert.ok(lag && !/thread=/.test(lag.expr), 'the lag panel shows both threads');
  });

  it('the name check finds a metric or label the daemon does not export', () => {
    // the interop test relies on this comparison; here it must catch mistakes
    const exp = exposition(
      [
        '# TYPE keepalive_vrrp_state gauge',
        'keepalive_vrrp_state{instance="VI_1",state="MASTER"} 1',
        'keepalive_check_duration_seconds_bucket{virtual_server="v",checker="TCP_CHECK",le="+Inf"} 1',
      ].join('\n') + '\n',
    );
    const q = (expr: string) => missingFromExposition([{ where: 'q', expr }], exp);
    assert.deepEqual(q('keepalive_vrrp_state{state="MASTER",job=~"$job"}'), []);
    assert.deepEqual(q('sum by (job, exported_instance) (keepalive_vrrp_state)'), []);
    assert.deepEqual(
      q(
        'histogram_quantile(0.9, sum by (le, checker) (rate(keepalive_check_duration_seconds_bucket[1m])))',
      ),
      [],
    );
    assert.deepEqual(q('keepalive_vrrp_states{state="MASTER"}'), [
      'q: metric keepalive_vrrp_states is not exported',
    ]);
    assert.deepEqual(q('keepalive_vrrp_state{vrid="51"}'), [
      'q: keepalive_vrrp_state has no label vrid',
    ]);
    assert.deepEqual(q('sum by (interface) (keepalive_vrrp_state)'), [
      'q: no metric of it has label interface',
    ]);
    assert.deepEqual(q('rate(keepalive_check_duration_seconds[1m])'), [
      'q: metric keepalive_check_duration_seconds is not exported',
    ]);
    assert.deepEqual(q('keepalive_vrrp_state{reason="keepalive_nonexistent"}'), [
      'q: keepalive_vrrp_state has no label reason',
    ]);
  });
});
