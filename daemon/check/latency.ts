// How long health checks take, as a histogram per virtual server and checker
// type: the metrics endpoint turns it into keepalive_check_duration_seconds.
// Pure bookkeeping (no clock, no I/O): the manager times each probe and
// records the duration here.

/** Upper bounds in seconds: 1 ms (a local TCP connect) to 10 s (a slow HTTP_GET at its timeout). */
export const CHECK_LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** One series: cumulative counts per bucket (Prometheus `le` semantics), sum and count. */
export interface CheckLatencySeries {
  virtualServer: string;
  checker: string;
  /** cumulative[i] = observations <= CHECK_LATENCY_BUCKETS[i]; count holds +Inf */
  cumulative: number[];
  sumSeconds: number;
  count: number;
}

interface Cell {
  /** per-bucket (not cumulative) counts; the last slot is beyond the largest bound */
  counts: number[];
  sum: number;
}

export class CheckLatency {
  private readonly cells = new Map<string, Cell>();

  observe(virtualServer: string, checker: string, seconds: number) {
    const key = `${virtualServer}\0${checker}`;
    let c = this.cells.get(key);
    if (!c) {
      c = { counts: new Array<number>(CHECK_LATENCY_BUCKETS.length + 1).fill(0), sum: 0 };
      this.cells.set(key, c);
    }
    const i = CHECK_LATENCY_BUCKETS.findIndex((b) => seconds <= b);
    c.counts[i < 0 ? CHECK_LATENCY_BUCKETS.length : i]++;
    c.sum += seconds;
  }

  /** Forget virtual servers a reload removed, so their series stop being exported. */
  retain(virtualServers: Set<string>) {
    for (const key of this.cells.keys())
      if (!virtualServers.has(key.split('\0')[0])) this.cells.delete(key);
  }

  snapshot(): CheckLatencySeries[] {
    return [...this.cells].map(([key, c]) => {
      const [virtualServer, checker] = key.split('\0');
      let run = 0;
      const cumulative = CHECK_LATENCY_BUCKETS.map((_, i) => (run += c.counts[i]));
      return {
        virtualServer,
        checker,
        cumulative,
        sumSeconds: c.sum,
        count: run + c.counts[CHECK_LATENCY_BUCKETS.length],
      };
    });
  }
}
