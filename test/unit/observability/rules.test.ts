// The Prometheus alerting rules: promtool accepts them, every alert has a
// duration, a severity and texts, and promtool's rule unit tests show each one
// firing on a failure and quiet on a healthy series. The dashboard's queries
// go through promtool's parser too.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { which } from '../../../scripts/lab/deps';
import { run } from '../../../scripts/lab/sys';
import { asPromql, dashboardQueries, readRules, RULE_TESTS, RULES } from './queries';

interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const REQUIRED = [
  'KeepaliveDualMaster',
  'KeepaliveNoMaster',
  'KeepaliveFlapping',
  'KeepaliveRealServerDown',
  'KeepaliveLateAdverts',
  'KeepaliveFencingFailed',
];

describe('Prometheus rules (observability/prometheus)', function () {
  this.timeout(30_000);
  const alerts = readRules().groups.flatMap((g) => g.rules.filter((r) => r.alert));

  it('alert on dual master, no master, flapping, a real server down, late adverts and fencing failures', () => {
    const names = alerts.map((a) => a.alert);
    for (const n of REQUIRED) assert.ok(names.includes(n), `missing alert ${n}`);
    assert.equal(new Set(names).size, names.length, 'alert names unique');
  });

  it('every alert has for:, a severity and a summary and description', () => {
    for (const a of alerts as unknown as {
      alert: string;
      for?: string;
      labels?: { severity?: string };
      annotations?: { summary?: string; description?: string };
    }[]) {
      assert.match(a.for ?? '', /^\d+[smh]$/, `${a.alert} for:`);
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert} severity`);
      assert.ok(a.annotations?.summary, `${a.alert} summary`);
      assert.ok(a.annotations?.description, `${a.alert} description`);
    }
  });

  it('every alert has a promtool test where it fires, and one where it stays quiet', () => {
    const t: RuleTests = parse(readFileSync(RULE_TESTS, 'utf8'));
    const cases = t.tests.flatMap((x) => x.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      assert.ok(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${a.alert}: no test expects it to fire`,
      );
      // quiet: an evaluation expecting nothing, or healthy series beside the failing one
      // (promtool compares the full list of alerts, so a healthy series firing fails)
      const group = t.tests.find((x) => x.alert_rule_test?.some((c) => c.alertname === a.alert));
      const quietCase = mine.some((c) => (c.exp_alerts ?? []).length === 0);
      const beside = (group as unknown as { input_series: unknown[] }).input_series.length > 1;
      assert.ok(quietCase || beside, `${a.alert}: no healthy series tested`);
    }
  });

  describe('with promtool', () => {
    before(function () {
      if (!which('promtool')) this.skip(); // Debian package prometheus provides promtool (.ci/run installs it)
    });

    it('promtool check rules accepts the rules', async () => {
      const r = await run(which('promtool')!, ['check', 'rules', RULES]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`SUCCESS: ${alerts.length} rules found`));
    });

    it('promtool test rules: each alert fires on its synthetic failure only', async () => {
      // from another working directory: rule_files resolve next to the test file
      const r = await run(which('promtool')!, ['test', 'rules', RULE_TESTS]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /SUCCESS/);
    });

    it('promtool parses every dashboard query; a broken one is rejected', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'kts-promql-'));
      try {
        const check = async (exprs: string[]) => {
          const file = path.join(dir, 'dashboard.rules.yml');
          const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
          writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
          return run(which('promtool')!, ['check', 'rules', file]);
        };
        const queries = dashboardQueries();
        const ok = await check(queries.map((q) => asPromql(q.expr)));
        assert.equal(ok.code, 0, ok.stdout + ok.stderr);
        const bad = await check(['sum by (instance (keepalive_up)']);
        assert.notEqual(bad.code, 0, 'promtool rejects a broken query');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
