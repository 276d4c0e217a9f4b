// The load-balancer half of the daemon: health checks of every real server
// and the dataplane they program, kept reconciled. Loaded by the runtime only
// when the config has virtual servers, so a VRRP-only director never loads
// the checkers or a backend (start-up time is preemption time).
import { networkInterfaces } from 'node:os';
import type { Config } from './config/model';
import type { EventLog } from './control/events';
import type { Notifier } from './control/notify';
import type { DaemonStatus } from './control/status';
import { HealthManager } from './check/manager';
import type { RealServerEvent } from './check/status';
import { dnsProbe, httpProbe, scriptProbe, tcpProbe } from './check/probes';
import { udpProbe } from './check/udp-probe';
import { Pinger } from './net/ping';
import { realClock } from './core/clock';
import type { Log } from './core/log';
import { keepReconciled } from './dataplane/reconcile';
import { selectDataplane } from './dataplane/select';
import type { Dataplane } from './dataplane/types';
import { runScript } from './system/scripts';

export class LvsRuntime {
  private dataplane?: Dataplane;
  private reconciler?: { stop(): void };
  private health?: HealthManager;
  /** PING_CHECK's echo id differs from the VRRP side's (track_reference) */
  private readonly pinger = new Pinger((process.pid ^ 0x8000) & 0xffff);
  private flushOnStop?: 'ALL' | 'VS';

  constructor(
    private readonly log: Log,
    private readonly events: EventLog,
    private readonly notifier: Notifier,
    /** real-server changes for the SMTP alerts */
    private readonly alert: (e: RealServerEvent) => void = () => {},
  ) {}

  /** (Re)start checking for `cfg`; the dataplane is created once and kept across reloads. */
  start(cfg: Config) {
    this.health?.stop();
    this.health = undefined;
    this.flushOnStop = cfg.global_defs.lvs_flush_on_stop;
    if (cfg.virtual_server.length === 0) return;
    if (!this.dataplane) {
      this.dataplane = selectDataplane(cfg.global_defs.lvs_backend, this.log);
      this.atStart(this.dataplane, cfg);
      // converge back if someone changes or flushes our rules from outside
      this.reconciler = keepReconciled(this.dataplane, this.log);
    }
    const dp = this.dataplane;
    this.tune(dp, cfg);
    this.health = new HealthManager(cfg, {
      clock: realClock,
      probes: {
        tcp: tcpProbe,
        http: httpProbe,
        script: scriptProbe,
        dns: dnsProbe,
        udp: udpProbe,
        ping: async (host, timeoutMs) =>
          (await this.pinger.ping(host, timeoutMs))
            ? { ok: true }
            : { ok: false, reason: `no echo reply within ${timeoutMs} ms` },
      },
      apply: (services) => dp.apply(services),
      runScript,
      log: this.log,
      onEvent: (e) => {
        this.events.emit({
          kind: 'real_server',
          virtualServer: e.vs,
          realServer: e.rs,
          up: e.up,
          reason: e.reason,
          wallTime: e.wallTime,
        });
        this.notifier.onRealServer(e);
        this.alert(e);
      },
      isLocal: (a) =>
        Object.values(networkInterfaces()).some((l) => l?.some((x) => x.address === a)),
    });
    this.health.start();
  }

  status(): Pick<DaemonStatus, 'virtualServers' | 'checks' | 'dataplane'> {
    return {
      virtualServers: this.health?.status() ?? [],
      ...(this.health ? { checks: { ...this.health.stats } } : {}),
      ...(this.dataplane
        ? { dataplane: { backend: this.dataplane.name, errors: this.dataplane.errors } }
        : {}),
    };
  }

  /** Stop checking and reconciling (first step of shutdown). */
  stopChecks() {
    this.health?.stop();
    this.reconciler?.stop();
    this.pinger.close();
  }

  /** lvs_netlink_cmd_rcv_bufs / lvs_netlink_monitor_rcv_bufs, at start and on reload (0: our default) */
  private tune(dp: Dataplane, cfg: Config) {
    const g = cfg.global_defs;
    const buf = (bytes: number | undefined, force: boolean) =>
      bytes ? { bytes, force } : undefined;
    const cmd = buf(g.lvs_netlink_cmd_rcv_bufs, g.lvs_netlink_cmd_rcv_bufs_force);
    const monitor = buf(g.lvs_netlink_monitor_rcv_bufs, g.lvs_netlink_monitor_rcv_bufs_force);
    dp.tune?.({ ...(cmd ? { cmd } : {}), ...(monitor ? { monitor } : {}) }, (m) =>
      this.log('warn', `dataplane: ${m}`),
    );
  }

  /** lvs_flush and lvs_timeouts, once when the dataplane is made (keepalived: not on reload). */
  private atStart(dp: Dataplane, cfg: Config) {
    const g = cfg.global_defs;
    const fail = (what: string) => (e: Error) => this.log('error', `${what}: ${e.message}`);
    // the first apply runs after these: requests to one backend are serialised
    if (g.lvs_flush) void dp.flushAll?.().catch(fail('lvs_flush'));
    if (g.lvs_timeouts) void dp.setTimeouts?.(g.lvs_timeouts).catch(fail('lvs_timeouts'));
  }

  /**
   * Remove what we programmed (after the VIPs are gone), unless `keep`
   * (keepalived -I); `lvs_flush_on_stop` (no value) removes every service.
   */
  async clear(keep: boolean) {
    if (!this.dataplane || keep) return;
    const dp = this.dataplane;
    await (this.flushOnStop === 'ALL' && dp.flushAll ? dp.flushAll() : dp.clear()).catch(
      (e: Error) => this.log('error', `dataplane: ${e.message}`),
    );
  }
}
