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
import { CheckLatency } from './check/latency';
import type { RealServerEvent, VirtualServerStatus } from './check/status';
import { dnsProbe, httpProbe, scriptProbe, tcpProbe } from './check/probes';
import { udpProbe } from './check/udp-probe';
import { smtpProbe } from './check/smtp-probe';
import { loadClientTls } from './check/ssl-context';
import { vsId } from './check/manager';
import { Pinger } from './net/ping';
import { realClock } from './core/clock';
import type { Log } from './core/log';
import { keepReconciled } from './dataplane/reconcile';
import { selectDataplane } from './dataplane/select';
import type { Dataplane } from './dataplane/types';
import { fileSource } from './system/file-watch';
import { ScriptGate } from './system/script-gate';

export class LvsRuntime {
  private dataplane?: Dataplane;
  private reconciler?: { stop(): void };
  private health?: HealthManager;
  /** PING_CHECK's echo id differs from the VRRP side's (track_reference) */
  private readonly pinger = new Pinger((process.pid ^ 0x8000) & 0xffff);
  private flushOnStop?: 'ALL' | 'VS';
  /** probe durations, kept across reloads like Prometheus counters expect */
  private readonly latency = new CheckLatency();

  constructor(
    private readonly log: Log,
    private readonly events: EventLog,
    private readonly notifier: Notifier,
    /** real-server changes for the SMTP alerts */
    private readonly alert: (e: RealServerEvent) => void = () => {},
    /** a BFD session's state as the VRRP thread last told it (BFD_CHECK) */
    private readonly bfdState: (name: string) => boolean | undefined = () => undefined,
  ) {}

  /** (Re)start checking for `cfg`; the dataplane is created once and kept across reloads. */
  start(cfg: Config) {
    const before = this.health;
    before?.stop();
    this.health = undefined;
    // a reload removing virtual servers: their down notifies (keepalived's clear_service_vs)
    const keptVs = new Set(cfg.virtual_server.map(vsId));
    void before?.removed(keptVs);
    this.latency.retain(keptVs);
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
    const g = cfg.global_defs;
    // MISC_CHECK programs and the checkers' notify scripts: their user, script security
    const gate = new ScriptGate({
      scriptUser: g.script_user,
      secure: g.enable_script_security,
      log: this.log,
    });
    const client = loadClientTls(cfg.SSL, this.log);
    this.health = new HealthManager(cfg, {
      clock: realClock,
      latency: this.latency,
      probes: {
        tcp: tcpProbe,
        http: (t) => httpProbe(t.tls && client ? { ...t, client } : t),
        script: (argv, timeoutMs, user) => {
          const id = argv.length ? gate.identity(argv[0], user) : undefined;
          return id
            ? scriptProbe(argv, timeoutMs, id)
            : Promise.resolve({ ok: false, reason: 'not allowed to run', exitCode: 126 });
        },
        smtp: smtpProbe,
        dns: dnsProbe,
        udp: udpProbe,
        ping: async (host, timeoutMs, o) => {
          try {
            return (await this.pinger.ping(host, timeoutMs, o))
              ? { ok: true }
              : { ok: false, reason: `no echo reply within ${timeoutMs} ms` };
          } catch (e) {
            return { ok: false, reason: (e as Error).message };
          }
        },
      },
      bfdState: this.bfdState,
      apply: (services) => dp.apply(services),
      runScript: (argv, timeoutMs, user) => gate.run(argv, timeoutMs, user),
      scriptAllowed: (cmd, user) => gate.identity(cmd, user) !== undefined,
      fifo: (line) => this.notifier.checkerLine(line),
      files: fileSource,
      ...(before ? { reload: true, keptVs: before.vsIds() } : {}),
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
        this.alert(e);
      },
      isLocal: (a) =>
        Object.values(networkInterfaces()).some((l) => l?.some((x) => x.address === a)),
    });
    this.health.start();
  }

  /** A bfd_instance's session state from the VRRP thread (BFD_CHECK). */
  bfdChanged(name: string, up: boolean) {
    this.health?.bfdChanged(name, up);
  }

  /** The virtual servers as the checkers see them now (bgp_announce's input). */
  services(): VirtualServerStatus[] {
    return this.health?.status() ?? [];
  }

  status(): Pick<DaemonStatus, 'virtualServers' | 'checks' | 'checkLatency' | 'dataplane'> {
    return {
      virtualServers: this.health?.status() ?? [],
      ...(this.health ? { checks: { ...this.health.stats } } : {}),
      checkLatency: this.latency.snapshot(),
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
    // omega: the down notifies of shutdown (keepalived's clear_services)
    await this.health?.shutdown(!!this.flushOnStop);
    const dp = this.dataplane;
    await (this.flushOnStop === 'ALL' && dp.flushAll ? dp.flushAll() : dp.clear()).catch(
      (e: Error) => this.log('error', `dataplane: ${e.message}`),
    );
  }
}
