// keepalive_check_duration_seconds: the health checks' probe durations as a
// Prometheus histogram. The counts live in the daemon's status (check/latency.ts),
// so this collector only lays them out as _bucket/_sum/_count lines at scrape time.
import type { Metric, Registry } from 'prom-client';
import { CHECK_LATENCY_BUCKETS } from '../check/latency';
import type { DaemonStatus } from './status';

export const CHECK_DURATION_METRIC = 'keepalive_check_duration_seconds';

interface Sample {
  metricName: string;
  labels: Record<string, string>;
  value: number;
}

/** The histogram's sample lines for one status snapshot. */
export function checkDurationSamples(st: DaemonStatus | undefined): Sample[] {
  const out: Sample[] = [];
  for (const s of st?.checkLatency ?? []) {
    const labels = { virtual_server: s.virtualServer, checker: s.checker };
    CHECK_LATENCY_BUCKETS.forEach((le, i) =>
      out.push({
        metricName: `${CHECK_DURATION_METRIC}_bucket`,
        labels: { ...labels, le: String(le) },
        value: s.cumulative[i],
      }),
    );
    out.push({
      metricName: `${CHECK_DURATION_METRIC}_bucket`,
      labels: { ...labels, le: '+Inf' },
      value: s.count,
    });
    out.push({ metricName: `${CHECK_DURATION_METRIC}_sum`, labels, value: s.sumSeconds });
    out.push({ metricName: `${CHECK_DURATION_METRIC}_count`, labels, value: s.count });
  }
  return out;
}

/** Register the histogram on `reg`, reading the snapshot the scrape took. */
export function registerCheckDuration(reg: Registry, snapshot: () => DaemonStatus | undefined) {
  const collector = {
    name: CHECK_DURATION_METRIC,
    help: 'health-check probe duration, by virtual server and checker type',
    type: 'histogram',
    aggregator: 'sum',
    collect() {},
    get: async () => ({
      name: CHECK_DURATION_METRIC,
      help: collector.help,
      type: 'histogram',
      aggregator: 'sum',
      values: checkDurationSamples(snapshot()),
    }),
  };
  // prom-client renders any object with get(); its typings only list its own classes
  reg.registerMetric(collector as unknown as Metric);
}
