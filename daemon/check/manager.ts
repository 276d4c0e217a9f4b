// Health checking of every real server of every virtual_server, and the
// dataplane state that follows from it (live servers and weights, quorum,
// sorry server). Probes, clock, scripts and the dataplane are injected, so
// the verdict logic runs under a fake clock in tests.
import {
  expandGroup,
  type Checker,
  type Config,
  type GroupTarget,
  type RealServer,
  type VirtualServer,
} from '../config/model';
import { splitArgv } from '../core/argv';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import { serviceId, type Destination, type Service } from '../dataplane/types';
import { bfdCheckers, type BfdChecker } from './bfd-check';
import { runProbe, type Probes } from './probe-plan';
import type { ProbeResult } from './probes';
import type { CheckStats, RealServerEvent, VirtualServerStatus } from './status';
import { CheckSchedule, quorumState } from './verdict';

export type { Probes } from './probe-plan';

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
  /** a bfd_instance's session state as last heard (BFD_CHECK), undefined when not yet heard */
  bfdState?: (name: string) => boolean | undefined;
}

interface CheckerRun {
  cfg: Exclude<Checker, BfdChecker>;
  schedule: CheckSchedule;
  timer?: Timer;
  last?: ProbeResult;
  weight?: number;
}

/** BFD_CHECK: no probe, the named session's state */
interface BfdRun {
  name: string;
  up: boolean;
}

interface RsRun {
  cfg: RealServer;
  id: string;
  checkers: CheckerRun[];
  bfd: BfdRun[];
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
        bfd: bfdCheckers(rs, this.config).map((b) => ({
          name: b.name,
          up: this.deps.bfdState?.(b.name) ?? !b.alpha,
        })),
        checkers: rs.checkers
          .flatMap((c) => (c.type === 'BFD_CHECK' ? [] : [c]))
          .map((c) => ({
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
      for (const s of servers) s.up = allUp(s);
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
    const r = await runProbe(this.deps.probes, rs.cfg, c.cfg);
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
    await this.settle(vs, rs, c.cfg.type, r, r.weight !== undefined);
  }

  /** A checker's state changed (or a weight): the real server's verdict, scripts, dataplane. */
  private async settle(
    vs: VsRun,
    rs: RsRun,
    type: Checker['type'],
    r: ProbeResult,
    weightChanged: boolean,
  ) {
    const up = allUp(rs);
    if (up !== rs.up) {
      rs.up = up;
      rs.lastChange = this.deps.clock.now();
      const reason = up ? 'check succeeded' : `${type} failed: ${r.reason ?? 'failed'}`;
      this.deps.log(
        up ? 'info' : 'warn',
        `${vs.id}: real server ${rs.id} ${up ? 'UP' : 'DOWN'} (${reason})`,
      );
      this.deps.onEvent?.({
        vs: vs.id,
        rs: rs.id,
        up,
        reason,
        checker: type,
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

  /** A bfd_instance's session went up or down (keepalived: bfd_check_handle_event). */
  bfdChanged(name: string, up: boolean) {
    if (this.stopped) return;
    for (const vs of this.vss)
      for (const rs of vs.servers)
        for (const b of rs.bfd) {
          if (b.name !== name || b.up === up) continue;
          b.up = up;
          this.deps.log(
            'info',
            `${vs.id}: BFD check of [${name}] RS(${rs.id}) is ${up ? 'UP' : 'DOWN'}`,
          );
          void this.settle(
            vs,
            rs,
            'BFD_CHECK',
            up ? { ok: true } : { ok: false, reason: `bfd ${name} down` },
            false,
          );
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

  /**
   * The dataplane state that follows from the current verdicts. A
   * `virtual_server group` gives one service per address and fwmark of its
   * group; virtual servers sharing a group (same protocol) share its services,
   * each adding its real servers (keepalived: one IPVS service per entry).
   */
  desired(): Service[] {
    const out = new Map<string, Service>();
    for (const vs of this.vss) {
      for (const s of this.servicesOf(vs)) {
        const prev = out.get(s.id);
        if (!prev) {
          out.set(s.id, s);
          continue;
        }
        const key = (d: Destination) => `${d.address}:${d.port}`;
        const have = new Set(prev.destinations.map(key));
        prev.destinations.push(...s.destinations.filter((d) => !have.has(key(d))));
        prev.capacity = (prev.capacity ?? 0) + (s.capacity ?? 0);
      }
    }
    return [...out.values()];
  }

  /** Where `vs` is served: its address, its fwmark, or every entry of its group. */
  private targets(vs: VsRun): GroupTarget[] {
    const k = vs.cfg.key;
    if (k.kind === 'address') return [{ address: k.address, port: k.port }];
    if (k.kind === 'fwmark') return [{ fwmark: k.fwmark }];
    const g = this.config.virtual_server_group.find((x) => x.name === k.group);
    return g ? expandGroup(g) : [];
  }

  private servicesOf(vs: VsRun): Service[] {
    const c = vs.cfg;
    const group = c.key.kind === 'group';
    return this.targets(vs).map((t) => {
      const address = 'address' in t ? t.address : undefined;
      const port = 'port' in t ? t.port : 0;
      // keepalived: in a group, DR and TUN real servers take the service's port (0 for a fwmark)
      const rsPort = (p: number, m: string) => (group && m !== 'NAT' ? port : p);
      let destinations: Destination[];
      if (!vs.quorumUp && c.sorry_server) {
        const method = c.sorry_server_lvs_method ?? c.lvs_method;
        destinations = [
          {
            address: c.sorry_server.address,
            port: rsPort(c.sorry_server.port || port, method),
            weight: 1,
            method,
          },
        ];
      } else {
        destinations = vs.servers
          .filter((s) => s.up || s.cfg.inhibit_on_failure)
          .map((s) => {
            const method = s.cfg.lvs_method ?? c.lvs_method;
            return {
              address: s.cfg.address,
              port: rsPort(s.cfg.port, method),
              weight: s.up ? this.weightOf(s) : 0,
              method,
              ...(s.cfg.uthreshold ? { uThresh: s.cfg.uthreshold } : {}),
              ...(s.cfg.lthreshold ? { lThresh: s.cfg.lthreshold } : {}),
            };
          });
      }
      const vi = address
        ? this.config.vrrp_instance.find((v) =>
            v.virtual_ipaddress.some((a) => a.address === address),
          )
        : undefined;
      const vip = vi?.virtual_ipaddress.find((a) => a.address === address);
      // a fwmark has no VIP to find the interface by: the VRRP interface, when there is one
      const ifs = new Set(this.config.vrrp_instance.flatMap((v) => v.interface ?? []));
      const ingress =
        vip?.dev ?? vi?.interface ?? (!address && ifs.size === 1 ? [...ifs][0] : undefined);
      const protocol = c.protocol ?? 'TCP';
      return {
        id: group
          ? serviceId(protocol, address, port, 'fwmark' in t ? t.fwmark : undefined)
          : vs.id,
        protocol,
        ...(address ? { address } : {}),
        port,
        ...('fwmark' in t ? { fwmark: t.fwmark } : {}),
        scheduler: c.lvs_sched,
        method: c.lvs_method,
        persistence: c.persistence_timeout,
        ...(c.ops ? { onePacket: true } : {}),
        ...(c.persistence_granularity ? { persistenceNetmask: c.persistence_granularity } : {}),
        destinations,
        capacity: vs.servers.length,
        ...(ingress ? { ingress, egress: ingress } : {}),
      };
    });
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
      const first = vs.cfg.key.kind === 'group' ? this.servicesOf(vs)[0]?.id : vs.id;
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
          checks: [
            ...s.checkers.map((c) => ({
              type: c.cfg.type,
              up: c.schedule.up,
              ...(c.last ? { lastResult: c.last.ok ? 'ok' : (c.last.reason ?? 'failed') } : {}),
            })),
            ...s.bfd.map((b) => ({
              type: 'BFD_CHECK',
              up: b.up,
              lastResult: b.up ? 'ok' : `bfd ${b.name} down`,
            })),
          ],
        })),
      };
    });
  }
}

const allUp = (rs: RsRun) => rs.checkers.every((c) => c.schedule.up) && rs.bfd.every((b) => b.up);

export function vsId(vs: VirtualServer): string {
  const k = vs.key;
  return k.kind === 'fwmark'
    ? serviceId('', undefined, 0, k.fwmark)
    : k.kind === 'group'
      ? `group ${k.group}`
      : serviceId(vs.protocol ?? 'TCP', k.address, k.port);
}
