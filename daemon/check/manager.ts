// Health checking of every real server of every virtual_server, and the
// dataplane state that follows from it (live servers and weights, quorum,
// sorry server). Probes, clock, scripts and the dataplane are injected, so
// the verdict logic runs under a fake clock in tests.
import { type Checker, type Config, type RealServer, type VirtualServer } from '../config/model';
import { splitArgv } from '../core/argv';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import { serviceId, type Destination, type Service } from '../dataplane/types';
import { autoFwmarks, desiredServices, servicesOf, type VsView } from './services';
import type { HttpTarget, ProbeResult } from './probes';
import type { UdpTarget } from './udp-probe';
import { urlRegex } from './regex';
import type { CheckStats, RealServerEvent, VirtualServerStatus } from './status';
import { CheckSchedule, miscVerdict, quorumState } from './verdict';

export interface Probes {
  tcp(host: string, port: number, timeoutMs: number, bindto?: string): Promise<ProbeResult>;
  http(t: HttpTarget): Promise<ProbeResult>;
  script(argv: string[], timeoutMs: number): Promise<ProbeResult>;
  dns(
    host: string,
    port: number,
    name: string,
    type: string,
    timeoutMs: number,
  ): Promise<ProbeResult>;
  udp(t: UdpTarget): Promise<ProbeResult>;
  ping(host: string, timeoutMs: number): Promise<ProbeResult>;
}

export interface HealthDeps {
  clock: Clock;
  probes: Probes;
  /** called with the full desired dataplane state after every change */
  apply: (services: Service[]) => Promise<void>;
  runScript: (argv: string[], timeoutMs: number) => Promise<number>;
  log: Log;
  /** is this address configured on this host (the director holds the VIP)? */
  isLocal: (address: string) => boolean;
  onEvent?: (e: RealServerEvent) => void;
}

interface CheckerRun {
  cfg: Checker;
  schedule: CheckSchedule;
  timer?: Timer;
  last?: ProbeResult;
  weight?: number;
}

interface RsRun {
  cfg: RealServer;
  id: string;
  checkers: CheckerRun[];
  up: boolean;
  lastChange: number;
}

interface VsRun {
  cfg: VirtualServer;
  id: string;
  servers: RsRun[];
  quorumUp: boolean;
}

export class HealthManager {
  private readonly vss: VsRun[] = [];
  private stopped = false;
  private dirty = false;
  private inFlight?: Promise<void>;
  /** the state last programmed into the dataplane ("in service" means in here) */
  private applied: Service[] = [];
  /** counters for status/metrics: checks run, dataplane applies and how long they took */
  readonly stats: CheckStats = {
    checks: 0,
    applies: 0,
    lastApplyMs: 0,
    maxApplyMs: 0,
    applyErrors: 0,
  };

  constructor(
    private readonly config: Config,
    private readonly deps: HealthDeps,
    private readonly random: () => number = Math.random,
  ) {}

  start() {
    const now = this.deps.clock.now();
    for (const vs of this.config.virtual_server) {
      const id = vsId(vs);
      const servers: RsRun[] = vs.real_server.map((rs) => ({
        cfg: rs,
        id: `${rs.address}:${rs.port}`,
        checkers: rs.checkers.map((c) => ({
          cfg: c,
          schedule: new CheckSchedule(
            {
              delayLoop: c.delay_loop!,
              retry: c.retry!,
              delayBeforeRetry: c.delay_before_retry!,
              warmup: c.warmup!,
              alpha: !!c.alpha,
              ...(c.type === 'HTTP_GET' || c.type === 'SSL_GET'
                ? { recovery: c.fast_recovery ? ('fast' as const) : ('slow' as const) }
                : {}),
            },
            this.random,
          ),
        })),
        up: false,
        lastChange: now,
      }));
      for (const s of servers) s.up = s.checkers.every((c) => c.schedule.up);
      const run: VsRun = { cfg: vs, id, servers, quorumUp: true };
      run.quorumUp = this.liveWeight(run) >= vs.quorum;
      this.vss.push(run);
    }
    void this.push();
    for (const vs of this.vss)
      for (const rs of vs.servers)
        for (const c of rs.checkers) this.arm(vs, rs, c, c.schedule.first(now));
  }

  stop() {
    this.stopped = true;
    for (const vs of this.vss)
      for (const rs of vs.servers) for (const c of rs.checkers) c.timer?.cancel();
  }

  private arm(vs: VsRun, rs: RsRun, c: CheckerRun, at: number) {
    c.timer?.cancel();
    c.timer = this.deps.clock.at(at, () => void this.runCheck(vs, rs, c));
  }

  private async runCheck(vs: VsRun, rs: RsRun, c: CheckerRun) {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    // ha_suspend: no checks while this director does not hold the virtual address
    if (
      vs.cfg.ha_suspend &&
      vs.cfg.key.kind === 'address' &&
      !this.deps.isLocal(vs.cfg.key.address)
    ) {
      this.arm(vs, rs, c, now + c.cfg.delay_loop! * 1000);
      return;
    }
    const r = await this.probe(rs, c.cfg);
    this.stats.checks++;
    if (this.stopped) return;
    // keepalived's log_all_failures: each failed check of a server still up, not only the verdict
    if (
      !r.ok &&
      c.schedule.up &&
      (c.cfg.log_all_failures || this.config.global_defs.checker_log_all_failures)
    )
      this.deps.log('info', `${vs.id}: ${c.cfg.type} to ${rs.id} failed: ${r.reason ?? 'failed'}`);
    c.last = r;
    if (r.weight !== undefined) c.weight = r.weight;
    const v = c.schedule.result(r.ok, this.deps.clock.now());
    this.arm(vs, rs, c, v.nextAt);
    const up = rs.checkers.every((x) => x.schedule.up);
    const weightChanged = r.weight !== undefined;
    if (up !== rs.up) {
      rs.up = up;
      rs.lastChange = this.deps.clock.now();
      const reason = up ? 'check succeeded' : `${c.cfg.type} failed: ${r.reason ?? 'failed'}`;
      this.deps.log(
        up ? 'info' : 'warn',
        `${vs.id}: real server ${rs.id} ${up ? 'UP' : 'DOWN'} (${reason})`,
      );
      this.deps.onEvent?.({
        vs: vs.id,
        rs: rs.id,
        up,
        reason,
        checker: c.cfg.type,
        at: this.deps.clock.now(),
        wallTime: Date.now(),
      });
      const script = up ? rs.cfg.notify_up : rs.cfg.notify_down;
      if (script) void this.deps.runScript(splitArgv(script.cmd), 30_000);
      this.updateQuorum(vs);
      await this.push();
    } else if (weightChanged) {
      await this.push();
    }
  }

  private async probe(rs: RsRun, c: Checker): Promise<ProbeResult> {
    const host = c.connect_ip ?? rs.cfg.address;
    const port = c.connect_port ?? rs.cfg.port;
    const timeoutMs = c.connect_timeout! * 1000;
    switch (c.type) {
      case 'TCP_CHECK':
        return this.deps.probes.tcp(host, port, timeoutMs, c.bindto);
      case 'HTTP_GET':
      case 'SSL_GET': {
        for (const u of c.url) {
          const r = await this.deps.probes.http({
            tls: c.type === 'SSL_GET',
            host,
            port,
            path: u.path ?? '/',
            ...((u.virtualhost ?? c.virtualhost ?? rs.cfg.virtualhost)
              ? { virtualhost: u.virtualhost ?? c.virtualhost ?? rs.cfg.virtualhost }
              : {}),
            ...(u.status_code ? { statusCodes: u.status_code } : {}),
            ...(u.digest ? { digest: u.digest } : {}),
            ...(u.regex !== undefined ? { regex: urlRegex(u) } : {}),
            protocol: c.http_protocol,
            timeoutMs,
            ...(c.bindto ? { bindto: c.bindto } : {}),
            sni: c.type === 'SSL_GET' && c.enable_sni,
          });
          if (!r.ok) return { ...r, reason: `${u.path}: ${r.reason}` };
        }
        return { ok: true };
      }
      case 'MISC_CHECK': {
        const r = await this.deps.probes.script(
          splitArgv(c.misc_path ?? ''),
          c.misc_timeout! * 1000,
        );
        const v = miscVerdict(r.exitCode ?? (r.ok ? 0 : 1), c.misc_dynamic);
        return {
          ok: v.ok,
          ...(v.weight !== undefined ? { weight: v.weight } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
        };
      }
      case 'DNS_CHECK':
        return this.deps.probes.dns(host, port || 53, c.name, c.query_type, timeoutMs);
      case 'UDP_CHECK':
        return this.deps.probes.udp({
          host,
          port,
          timeoutMs,
          ...(c.payload ? { payload: c.payload } : {}),
          ...(c.require_reply ? { requireReply: c.require_reply } : {}),
          minReplyLength: c.min_reply_length,
          maxReplyLength: c.max_reply_length,
          ...(c.bindto ? { bindto: c.bindto } : {}),
          ...(c.bind_port ? { bindPort: c.bind_port } : {}),
        });
      case 'PING_CHECK':
        return this.deps.probes.ping(host, timeoutMs);
    }
  }

  private weightOf(rs: RsRun): number {
    const dyn = rs.checkers.find((c) => c.weight !== undefined)?.weight;
    return dyn ?? rs.cfg.weight;
  }

  private liveWeight(vs: VsRun): number {
    return vs.servers.filter((s) => s.up).reduce((n, s) => n + this.weightOf(s), 0);
  }

  private updateQuorum(vs: VsRun) {
    const next = quorumState(vs.quorumUp, this.liveWeight(vs), vs.cfg.quorum, vs.cfg.hysteresis);
    if (next === vs.quorumUp) return;
    vs.quorumUp = next;
    this.deps.log(
      next ? 'info' : 'warn',
      `${vs.id}: quorum ${next ? 'gained' : 'lost'} (live weight ${this.liveWeight(vs)}, quorum ${vs.cfg.quorum})`,
    );
    const script = next ? vs.cfg.quorum_up : vs.cfg.quorum_down;
    if (script) void this.deps.runScript(splitArgv(script.cmd), 30_000);
  }

  private view(vs: VsRun): VsView {
    return {
      cfg: vs.cfg,
      id: vs.id,
      quorumUp: vs.quorumUp,
      servers: vs.servers.map((s) => ({ cfg: s.cfg, up: s.up, weight: this.weightOf(s) })),
    };
  }

  /** The dataplane state that follows from the current verdicts (services.ts). */
  desired(): Service[] {
    return desiredServices(
      this.config,
      this.vss.map((v) => this.view(v)),
    );
  }

  /**
   * Serialised and coalesced: while an apply runs, further changes only mark
   * the state dirty, and one apply of the latest state follows. A burst of 50
   * failures costs two applies, not fifty.
   */
  private push(): Promise<void> {
    this.dirty = true;
    if (!this.inFlight) {
      this.inFlight = (async () => {
        while (this.dirty) {
          this.dirty = false;
          const services = this.desired();
          const t0 = this.deps.clock.now();
          try {
            await this.deps.apply(services);
            this.stats.applies++;
            this.applied = services;
          } catch (e) {
            this.stats.applyErrors++;
            this.deps.log('error', `dataplane: ${(e as Error).message}`);
          }
          this.stats.lastApplyMs = Math.round(this.deps.clock.now() - t0);
          this.stats.maxApplyMs = Math.max(this.stats.maxApplyMs, this.stats.lastApplyMs);
        }
        this.inFlight = undefined;
      })();
    }
    return this.inFlight;
  }

  status(): VirtualServerStatus[] {
    const now = this.deps.clock.now();
    const desired = new Map(this.applied.map((s) => [s.id, s]));
    return this.vss.map((vs) => {
      // a group's real servers are in service where they are in its first service
      const first =
        vs.cfg.key.kind === 'group'
          ? servicesOf(this.config, this.view(vs), autoFwmarks(this.config))[0]?.id
          : vs.id;
      const d = desired.get(first ?? vs.id) ?? { destinations: [] as Destination[] };
      const group = vs.cfg.key.kind === 'group';
      return {
        id: vs.id,
        quorumUp: vs.quorumUp,
        sorry: !vs.quorumUp && !!vs.cfg.sorry_server,
        servers: vs.servers.map((s) => ({
          address: s.cfg.address,
          port: s.cfg.port,
          up: s.up,
          weight: this.weightOf(s),
          inService: d.destinations.some(
            (x) => x.address === s.cfg.address && (group || x.port === s.cfg.port) && x.weight > 0,
          ),
          sinceMs: Math.round(now - s.lastChange),
          checks: s.checkers.map((c) => ({
            type: c.cfg.type,
            up: c.schedule.up,
            ...(c.last ? { lastResult: c.last.ok ? 'ok' : (c.last.reason ?? 'failed') } : {}),
          })),
        })),
      };
    });
  }
}

export function vsId(vs: VirtualServer): string {
  const k = vs.key;
  return k.kind === 'fwmark'
    ? serviceId('', undefined, 0, k.fwmark)
    : k.kind === 'group'
      ? `group ${k.group}`
      : serviceId(vs.protocol ?? 'TCP', k.address, k.port);
}
