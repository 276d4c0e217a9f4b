// Prometheus metrics (prom-client) on the opt-in `metrics_listen` address.
// Values are read from the daemon's status at scrape time, so there is one
// source of truth and nothing to keep in sync.
import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import type { DaemonStatus } from './status';
import { registerCheckDuration } from './metrics-latency';

const STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

export interface MetricsSource {
  status(): Promise<DaemonStatus>;
  /** transitions by instance and cause since start */
  transitions(): Map<string, number>;
}

export interface Metrics {
  registry: Registry;
  /** one status read per scrape, before the collectors run */
  scrape(): Promise<string>;
}

export function buildRegistry(src: MetricsSource): Metrics {
  const reg = new Registry();
  let snapshot: DaemonStatus | undefined;
  const g = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    fill: (set: (labels: Record<L, string>, v: number) => void, st: DaemonStatus) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [reg],
      collect() {
        this.reset();
        if (snapshot) fill((labels, v) => this.set(labels as never, v), snapshot);
      },
    });
  g('keepalive_up', '1 while the daemon answers', [], (set) => set({}, 1));
  // bgp_announce: absent without the block
  g('keepalive_bgp_announced', '1 while BIRD announces the VIP', [], (set, st) => {
    if (st.bgp) set({}, st.bgp.announced ? 1 : 0);
  });
  g('keepalive_bgp_drained', '1 while the operator has drained the director', [], (set, st) => {
    if (st.bgp) set({}, st.bgp.drained ? 1 : 0);
  });
  g(
    'keepalive_bgp_changes_total',
    'announcements and withdrawals BIRD accepted, since start',
    ['change'],
    (set, st) => {
      if (st.bgp) for (const [change, n] of Object.entries(st.bgp.changes)) set({ change }, n);
    },
  );
  g(
    'keepalive_vrrp_state',
    'VRRP state of an instance (1 for the current state)',
    ['instance', 'state'],
    (set, st) => {
      for (const i of st.instances)
        for (const s of STATES) set({ instance: i.name, state: s }, i.state === s ? 1 : 0);
    },
  );
  g('keepalive_vrrp_priority', 'effective priority (after trackers)', ['instance'], (set, st) => {
    for (const i of st.instances) set({ instance: i.name }, i.priority);
  });
  const counter = (
    name: string,
    help: string,
    pick: (c: DaemonStatus['instances'][number]['counters']) => number,
  ) =>
    g(name, help, ['instance'], (set, st) => {
      for (const i of st.instances) set({ instance: i.name }, pick(i.counters));
    });
  counter('keepalive_vrrp_adverts_sent_total', 'adverts sent', (c) => c.advertsSent);
  counter(
    'keepalive_vrrp_adverts_received_total',
    'valid adverts received',
    (c) => c.advertsReceived,
  );
  counter(
    'keepalive_vrrp_master_down_timer_fires_total',
    'master-down timer expiries',
    (c) => c.masterDownFired,
  );
  counter(
    'keepalive_vrrp_late_adverts_total',
    'adverts sent more than a fifth of the interval late',
    (c) => c.lateAdverts,
  );
  counter(
    'keepalive_vrrp_other_master_seen_total',
    'adverts from another router while master (dual master)',
    (c) => c.otherMasterSeen,
  );
  g(
    'keepalive_vrrp_drops_total',
    'received adverts dropped, by reason',
    ['instance', 'reason'],
    (set, st) => {
      for (const i of st.instances)
        for (const [reason, n] of Object.entries(i.counters.drops))
          set({ instance: i.name, reason }, n);
    },
  );
  g(
    'keepalive_vrrp_unclaimed_drops_total',
    'received VRRP packets no instance claims, by reason (short: no VRID to read; unknown_vrid)',
    ['reason'],
    (set, st) => {
      for (const [reason, n] of Object.entries(st.unclaimedDrops ?? {})) set({ reason }, n);
    },
  );
  new Gauge({
    name: 'keepalive_vrrp_transitions_total',
    help: 'state transitions, by instance and cause',
    labelNames: ['instance', 'cause'],
    registers: [reg],
    collect() {
      this.reset();
      for (const [k, n] of src.transitions()) {
        const [instance, cause] = k.split('\0');
        this.set({ instance, cause }, n);
      }
    },
  });
  g('keepalive_vrrp_fence_runs_total', 'fence commands run', ['instance', 'result'], (set, st) => {
    for (const i of st.instances) {
      set({ instance: i.name, result: 'ok' }, i.fencing.runs - i.fencing.failures);
      set({ instance: i.name, result: 'failed' }, i.fencing.failures);
    }
  });
  g(
    'keepalive_vrrp_tracker_up',
    'tracker state (scripts, interfaces, reference IP)',
    ['instance', 'kind', 'name'],
    (set, st) => {
      for (const i of st.instances)
        for (const t of i.trackers)
          set({ instance: i.name, kind: t.kind, name: t.name }, t.ok ? 1 : 0);
    },
  );
  g('keepalive_vrrp_path_up', 'heartbeat path heard recently', ['instance', 'path'], (set, st) => {
    for (const i of st.instances)
      for (const p of i.paths) set({ instance: i.name, path: p.name }, p.up ? 1 : 0);
  });
  g(
    'keepalive_event_loop_lag_seconds',
    'event-loop delay p99 / max',
    ['thread', 'stat'],
    (set, st) => {
      // absent on the first scrape: sampling starts when someone looks
      const ms = (thread: string, stat: string, v: number | undefined) => {
        if (v !== undefined) set({ thread, stat }, v / 1000);
      };
      ms('main', 'p99', st.loop.mainP99Ms);
      ms('main', 'max', st.loop.mainMaxMs);
      if (st.loop.vrrp) {
        ms('vrrp', 'p99', st.loop.vrrp.p99Ms);
        ms('vrrp', 'max', st.loop.vrrp.maxMs);
        set({ thread: 'vrrp', stat: 'advert_lag_max' }, st.loop.vrrp.maxAdvertLagMs / 1000);
      }
    },
  );
  const rs = (
    name: string,
    help: string,
    pick: (r: DaemonStatus['virtualServers'][number]['servers'][number]) => number,
  ) =>
    g(name, help, ['virtual_server', 'real_server'], (set, st) => {
      for (const v of st.virtualServers)
        for (const r of v.servers)
          set({ virtual_server: v.id, real_server: `${r.address}:${r.port}` }, pick(r));
    });
  rs('keepalive_real_server_up', 'health-check verdict (1 up)', (r) => (r.up ? 1 : 0));
  rs('keepalive_real_server_in_service', 'programmed in the dataplane with weight > 0', (r) =>
    r.inService ? 1 : 0,
  );
  rs('keepalive_real_server_weight', 'current weight', (r) => r.weight);
  rs(
    'keepalive_real_server_seconds_since_change',
    'seconds since the verdict last changed',
    (r) => r.sinceMs / 1000,
  );
  g(
    'keepalive_virtual_server_quorum_up',
    'quorum reached (1) or lost (0)',
    ['virtual_server'],
    (set, st) => {
      for (const v of st.virtualServers) set({ virtual_server: v.id }, v.quorumUp ? 1 : 0);
    },
  );
  g('keepalive_checks_total', 'health checks run', [], (set, st) =>
    set({}, st.checks?.checks ?? 0),
  );
  registerCheckDuration(reg, () => snapshot);
  g('keepalive_dataplane_errors_total', 'dataplane programming errors', ['backend'], (set, st) => {
    if (st.dataplane)
      set({ backend: st.dataplane.backend }, st.dataplane.errors + (st.checks?.applyErrors ?? 0));
  });
  return {
    registry: reg,
    async scrape() {
      snapshot = await src.status();
      return reg.metrics();
    },
  };
}

/**
 * Bounds for the metrics endpoint: Prometheus scrapes with one connection,
 * small headers and an answer within its scrape timeout; anything slower or
 * bigger is a broken or hostile client and is dropped.
 */
export const METRICS_LIMITS = {
  /** connections at once; the kernel queue holds the next ones until one goes */
  maxConnections: 32,
  /** request headers larger than this get 431 */
  maxHeaderSize: 8 * 1024,
  /** a client must send its headers within this (slowloris) */
  headersTimeout: 5000,
  /** and its whole request within this */
  requestTimeout: 10_000,
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeout: 5000,
  /** how often the two timeouts above are checked */
  connectionsCheckingInterval: 1000,
};

/** Serve /metrics on HOST:PORT (metrics_listen). */
export function serveMetrics(
  listen: string,
  m: Metrics,
  log: (l: 'info' | 'error', m: string) => void,
): Server {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i) || '127.0.0.1';
  const port = Number(listen.slice(i + 1));
  const { maxConnections, ...opts } = METRICS_LIMITS;
  const srv = createServer(opts, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Connection', 'close');
      res.end('GET /metrics\n');
      return;
    }
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      res.end('see /metrics\n');
      return;
    }
    m.scrape().then(
      (text) => {
        res.setHeader('Content-Type', m.registry.contentType);
        res.end(text);
      },
      (e: Error) => {
        res.statusCode = 500;
        res.end(e.message);
      },
    );
  });
  srv.maxConnections = maxConnections;
  srv.on('error', (e) => log('error', `metrics_listen ${listen}: ${e.message}`));
  srv.listen(port, host, () => log('info', `metrics on http://${listen}/metrics`));
  return srv;
}
