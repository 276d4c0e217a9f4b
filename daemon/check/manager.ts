// Health checking of every real server of every virtual_server, and the
// dataplane state that follows from it (live servers and weights, quorum,
// sorry server). Probes, clock, scripts and the dataplane are injected, so
// the verdict logic runs under a fake clock in tests. Which probe a checker
// runs is probe-plan.ts; what a change tells (scripts, FIFO lines) notifies.ts;
// the dataplane applies apply-queue.ts. FILE_CHECK follows its file
// (file-check.ts) and BFD_CHECK its BFD session (bfd-check.ts) instead of
// being scheduled.
import type { Checker, Config, RealServer, VirtualServer } from '../config/model';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import { serviceId, type Destination, type Service } from '../dataplane/types';
import { desiredServices, servicesOf, type VsView } from './services';
import { ApplyQueue } from './apply-queue';
import { bfdCheckers, type BfdChecker } from './bfd-check';
import { runProbe, type Probes, type UserRef } from './probe-plan';
import { fileCheckState, FileValues, realWeight, type FileSource } from './file-check';
import { CheckNotifier } from './notifies';
import type { ProbeResult } from './probes';
import type { CheckStats, RealServerEvent, VirtualServerStatus } from './status';
import { CheckSchedule, quorumState } from './verdict';
import type { CheckLatency } from './latency';

export type { Probes } from './probe-plan';

export interface HealthDeps {
  clock: Clock;
  probes: Probes;
  /** called with the full desired dataplane state after every change */
  apply: (services: Service[]) => Promise<void>;
  runScript: (argv: string[], timeoutMs: number, user?: UserRef) => Promise<number>;
  log: Log;
  /** is this address configured on this host (the director holds the VIP)? */
  isLocal: (address: string) => boolean;
  onEvent?: (e: RealServerEvent) => void;
  /** a checker event line for notify_fifo and lvs_notify_fifo */
  fifo?: (line: string) => void;
  /** track files for FILE_CHECK (absent: a FILE_CHECK stays up) */
  files?: FileSource;
  /** may this MISC_CHECK program run (script security)? keepalived drops a refused one */
  scriptAllowed?: (cmd: string, user?: UserRef) => boolean;
  /** started by a reload (init_file does not overwrite then) */
  reload?: boolean;
  /** a reload's virtual servers that ran before it: no start-up notifies for them */
  keptVs?: ReadonlySet<string>;
  /** a bfd_instance's session state as last heard (BFD_CHECK), undefined when not yet heard */
  bfdState?: (name: string) => boolean | undefined;
  /** probe durations (kept across reloads by the owner); absent: not recorded */
  latency?: CheckLatency;
}

interface CheckerRun {
  cfg: Exclude<Checker, BfdChecker>;
  schedule: CheckSchedule;
  timer?: Timer;
  last?: ProbeResult;
  /** MISC_CHECK misc_dynamic: the weight the script asked for */
  weight?: number;
  /** FILE_CHECK: added to the real server's weight */
  delta?: number;
  /** has this checker given a result yet (keepalived's has_run) */
  ran?: boolean;
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
  private readonly notify: CheckNotifier;
  private files?: FileValues;
  /** counters for status/metrics: checks run, dataplane applies and how long they took */
  readonly stats: CheckStats = {
    checks: 0,
    applies: 0,
    lastApplyMs: 0,
    maxApplyMs: 0,
    applyErrors: 0,
  };
  private readonly queue: ApplyQueue;

  constructor(
    private readonly config: Config,
    private readonly deps: HealthDeps,
    private readonly random: () => number = Math.random,
  ) {
    this.notify = new CheckNotifier(deps);
    this.queue = new ApplyQueue(() => this.desired(), deps.apply, deps.clock, deps.log, this.stats);
    if (deps.files) this.files = new FileValues(deps.files, deps.log);
  }

  private checkerRun(c: Exclude<Checker, BfdChecker>): CheckerRun {
    const timing =
      c.type === 'FILE_CHECK'
        ? { delayLoop: 0, retry: 0, delayBeforeRetry: 0, warmup: 0, alpha: false }
        : {
            delayLoop: c.delay_loop!,
            retry: c.retry!,
            delayBeforeRetry: c.delay_before_retry!,
            warmup: c.warmup!,
            alpha: !!c.alpha,
            ...(c.type === 'HTTP_GET' || c.type === 'SSL_GET'
              ? { recovery: c.fast_recovery ? ('fast' as const) : ('slow' as const) }
              : {}),
          };
    const run: CheckerRun = { cfg: c, schedule: new CheckSchedule(timing, this.random) };
    if (c.type === 'FILE_CHECK') {
      // the state is known at once (keepalived: has_run, alpha cleared)
      const st = fileCheckState(this.fileValue(c), ...this.fileWeight(c));
      run.schedule.up = st.up;
      run.delta = st.delta;
      run.ran = true;
    }
    return run;
  }

  /** a FILE_CHECK's weight and reverse: its own, else its track_file's */
  private fileWeight(c: Extract<Checker, { type: 'FILE_CHECK' }>): [number, boolean] {
    const w = c.weight ?? this.config.track_file.find((t) => t.name === c.track_file?.name)?.weight;
    return [w?.value ?? 1, w?.reverse ?? false];
  }

  private fileValue(c: Extract<Checker, { type: 'FILE_CHECK' }>): number {
    const f = this.config.track_file.find((t) => t.name === c.track_file?.name);
    return f?.file && this.files ? this.files.open(f, !!this.deps.reload) : 0;
  }

  /** MISC_CHECKs whose program script security refuses are dropped, as keepalived does */
  private usable(c: Checker): boolean {
    if (c.type !== 'MISC_CHECK' || !this.deps.scriptAllowed) return true;
    const cmd = c.misc_path?.trim().split(/\s+/)[0] ?? '';
    if (this.deps.scriptAllowed(cmd, c.user)) return true;
    this.deps.log('error', `MISC_CHECK ${c.misc_path}: not allowed to run, checker removed`);
    return false;
  }

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
          .flatMap((c) => (c.type === 'BFD_CHECK' || !this.usable(c) ? [] : [c]))
          .map((c) => this.checkerRun(c)),
        up: false,
        lastChange: now,
      }));
      for (const s of servers) s.up = allUp(s);
      const run: VsRun = { cfg: vs, id, servers, quorumUp: false };
      this.vss.push(run);
      // keepalived starts a virtual server's quorum up and checks it once (update_quorum_state(init))
      run.quorumUp = quorumState(true, this.liveWeight(run), vs.quorum, vs.hysteresis);
      if (this.deps.keptVs?.has(id)) continue;
      // keepalived's init_service_rs: rs_init_notifies tells of each server starting up
      if (this.config.global_defs.rs_init_notifies)
        for (const s of servers) if (s.up) void this.notify.rs(vs, s.cfg, true);
      // "Starting with quorum down" tells (quorum up at start is no change)
      if (!run.quorumUp) void this.notify.vs(vs, false);
    }
    void this.push();
    for (const vs of this.vss)
      for (const rs of vs.servers)
        for (const c of rs.checkers)
          if (c.cfg.type === 'FILE_CHECK') this.watchFile(vs, rs, c);
          else this.arm(vs, rs, c, c.schedule.first(now));
  }

  private watchFile(vs: VsRun, rs: RsRun, c: CheckerRun) {
    const cfg = c.cfg as Extract<Checker, { type: 'FILE_CHECK' }>;
    const f = this.config.track_file.find((t) => t.name === cfg.track_file?.name);
    if (!f?.file || !this.files) return;
    this.files.watch(f, (v) => {
      if (this.stopped) return;
      const st = fileCheckState(v, ...this.fileWeight(cfg));
      const was = c.schedule.up;
      const weightChanged = st.delta !== c.delta;
      c.schedule.up = st.up;
      c.delta = st.delta;
      c.last = st.up ? { ok: true } : { ok: false, reason: `track_file ${f.name} is ${v}` };
      this.deps.log('info', `${vs.id}: ${rs.id} track_file ${f.name} now ${v}`);
      void this.settle(vs, rs, 'FILE_CHECK', c.last, was !== st.up || weightChanged);
    });
  }

  stop() {
    this.stopped = true;
    this.files?.close();
    for (const vs of this.vss)
      for (const rs of vs.servers) for (const c of rs.checkers) c.timer?.cancel();
  }

  /**
   * Shutdown (after stop): virtual servers with omega tell DOWN for their
   * real servers still up and for their quorum (not the real servers when
   * lvs_flush_on_stop flushed them). Resolves when those scripts ended
   * (keepalived gives each one second).
   */
  shutdown(flushed = false): Promise<unknown> {
    return Promise.all(
      this.vss.map((vs) =>
        this.notify.vsGone(
          vs.cfg,
          vs.servers.filter((s) => s.up).map((s) => s.cfg),
          { stopping: true, quorumUp: vs.quorumUp, flushed },
        ),
      ),
    );
  }

  /** A reload keeps only `kept` (virtual server ids): the others tell their servers and quorum DOWN. */
  removed(kept: ReadonlySet<string>): Promise<unknown> {
    const gone = this.vss.filter((vs) => !kept.has(vs.id));
    return Promise.all(
      gone.map((vs) =>
        this.notify.vsGone(
          vs.cfg,
          vs.servers.filter((s) => s.up).map((s) => s.cfg),
          { stopping: false, quorumUp: vs.quorumUp },
        ),
      ),
    );
  }

  vsIds(): Set<string> {
    return new Set(this.vss.map((v) => v.id));
  }

  private arm(vs: VsRun, rs: RsRun, c: CheckerRun, at: number) {
    c.timer?.cancel();
    c.timer = this.deps.clock.at(at, () => void this.runCheck(vs, rs, c));
  }

  private async runCheck(vs: VsRun, rs: RsRun, c: CheckerRun) {
    if (this.stopped || c.cfg.type === 'FILE_CHECK') return;
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
    const started = this.deps.clock.now();
    const r = await runProbe(this.deps.probes, rs.cfg, c.cfg, vs.cfg);
    this.stats.checks++;
    this.deps.latency?.observe(vs.id, c.cfg.type, (this.deps.clock.now() - started) / 1000);
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
    // keepalived: an alpha checker whose first check fails tells DOWN (update_svr_checker_state)
    const firstDown = !c.ran && !v.up && !v.changed && !!c.cfg.alpha;
    c.ran = true;
    if (firstDown && !rs.up) void this.notify.rs(vs.cfg, rs.cfg, false);
    await this.settle(vs, rs, c.cfg.type, r, r.weight !== undefined);
  }

  /** A checker's state or weight changed: the real server's state, its notifies, quorum, dataplane. */
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
      void this.notify.rs(vs.cfg, rs.cfg, up);
      this.updateQuorum(vs);
      await this.push();
    } else if (weightChanged) {
      this.updateQuorum(vs);
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

  /** keepalived's effective weight: the configured (or misc_dynamic) weight plus FILE_CHECK deltas */
  private weightOf(rs: RsRun): number {
    const dyn = rs.checkers.find((c) => c.weight !== undefined)?.weight;
    const delta = rs.checkers.reduce((n, c) => n + (c.delta ?? 0), 0);
    return realWeight((dyn ?? rs.cfg.weight) + delta);
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
    void this.notify.vs(vs.cfg, next);
  }

  /** The dataplane state that follows from the current verdicts (services.ts). */
  desired(): Service[] {
    return desiredServices(this.config, this.views());
  }

  private views(): VsView[] {
    return this.vss.map((vs) => ({
      cfg: vs.cfg,
      id: vs.id,
      quorumUp: vs.quorumUp,
      servers: vs.servers.map((s) => ({ cfg: s.cfg, up: s.up, weight: this.weightOf(s) })),
    }));
  }

  private push(): Promise<void> {
    return this.queue.push();
  }

  status(): VirtualServerStatus[] {
    const now = this.deps.clock.now();
    const desired = new Map(this.queue.applied.map((s) => [s.id, s]));
    return this.vss.map((vs) => {
      // a group's real servers are in service where they are in its first service
      const first =
        vs.cfg.key.kind === 'group'
          ? servicesOf(this.config, this.views().find((v) => v.id === vs.id)!)[0]?.id
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

export function vsId(vs: VirtualServer): string {
  const k = vs.key;
  return k.kind === 'fwmark'
    ? serviceId('', undefined, 0, k.fwmark)
    : k.kind === 'group'
      ? `group ${k.group}`
      : serviceId(vs.protocol ?? 'TCP', k.address, k.port);
}

const allUp = (rs: RsRun) => rs.checkers.every((c) => c.schedule.up) && rs.bfd.every((b) => b.up);
