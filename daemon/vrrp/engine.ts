// The VRRP engine: coordinates every vrrp_instance of a config, their sync
// groups and tracker watchers, and applies reloads. All I/O goes through
// NetIO, Clock and the script runner, so the same engine runs on a fake
// network in tests and on raw sockets in the daemon.
import type { BfdSessions } from '../bfd/sessions';
import type { Config } from '../config/model';
import { entriesMinus, setEntries, staticEntries, type Entries } from './entries';
import { GarpPacer } from './garp-pacer';
import { Instance } from './instance';
import { planReload, runnable, type ReloadPlan } from './reload';
import type { InstanceEvent, InstanceStatus, Transition } from './status';
import { SyncGroups } from './sync-group';
import { TrackerWatch, type WatchDeps } from './track-watch';
import { peekSource } from './receive';
import { Unclaimed } from './unclaimed';
import { UnknownVrids } from './unknown-vrid';

export interface EngineDeps extends Omit<WatchDeps, 'bfd'> {
  onTransition?: (t: Transition) => void;
  /** MASTER_RX_LOWER_PRI and priority changes */
  onEvent?: (e: InstanceEvent) => void;
  /** the bfd_instance sessions, run in this thread and following the config */
  bfd?: BfdSessions;
  /** how late any instance timer fired, ms (auto priority) */
  timerLag?: (ms: number) => void;
}

export class VrrpEngine {
  private readonly instances = new Map<string, Instance>();
  private groups: SyncGroups;
  private watch?: TrackerWatch;
  /** the latest an advert timer has fired, ms */
  maxLagMs = 0;
  private readonly pacer: GarpPacer;
  /** vrrp_startup_delay: no master-down timer fires before this (clock ms) */
  private delayedUntil = 0;
  private readonly unknown: UnknownVrids;
  /** packets no instance claims, counted once per socket kind */
  readonly unclaimed = new Unclaimed(() => this.instances.values());

  constructor(
    private config: Config,
    private readonly deps: EngineDeps,
  ) {
    this.groups = new SyncGroups(config);
    this.pacer = new GarpPacer(deps.clock);
    this.unknown = new UnknownVrids(deps.clock, deps.log, (vrid, ifname) =>
      [...this.instances.values()].some((i) => i.vrid === vrid && i.ifname === ifname),
    );
  }

  private create(cfg: Config['vrrp_instance'][number], watch: TrackerWatch) {
    const inst = new Instance(
      cfg,
      this.config,
      this.deps,
      {
        transitioned: (i, t) => {
          this.deps.onTransition?.(t);
          this.groups.follow(i, t, (name) => this.instances.get(name));
        },
        event: (e) => this.deps.onEvent?.(e),
        advertLag: (ms) => {
          if (ms > this.maxLagMs) this.maxLagMs = ms;
        },
        pacer: this.pacer,
        ...(this.deps.timerLag ? { timerLag: this.deps.timerLag } : {}),
        foreign: (vrid, path, pkt) => {
          const why = this.unclaimed.heard(vrid, path);
          if (why === 'unknown_vrid' && this.config.global_defs.log_unknown_vrids)
            this.unknown.heard(vrid!, path.opts.ifname, peekSource(pkt) ?? '?');
        },
      },
      watch.initial,
    );
    inst.delayedUntil = this.delayedUntil;
    this.instances.set(cfg.name, inst);
    return inst;
  }

  /** static_ipaddress, static_routes, static_rules as set now */
  private statics?: Entries;

  private setStatic(add: boolean, e: Entries) {
    setEntries(this.deps.net, add, e, (m) => this.deps.log('error', `static: ${m}`));
  }

  /**
   * keepalived sets the static entries before any instance starts, after
   * clearing leftovers of an earlier run (a failed removal there is expected).
   */
  private startStatic() {
    this.statics = staticEntries(this.config);
    setEntries(this.deps.net, false, this.statics, () => {});
    this.setStatic(true, this.statics);
  }

  start() {
    this.deps.bfd?.apply(this.config.bfd_instance);
    this.startStatic();
    const delay = this.config.global_defs.vrrp_startup_delay;
    if (delay) {
      this.delayedUntil = this.deps.clock.now() + delay * 1000;
      this.deps.log('info', `Delaying startup for ${delay} seconds`);
    }
    const watch = (this.watch = new TrackerWatch(this.deps, this.config));
    const created = this.config.vrrp_instance
      .filter(runnable)
      .map((cfg) => this.create(cfg, watch));
    // what an earlier run left (a crash leaves its VIPs): a restarted daemon starts as BACKUP and
    // must not hold the VIP beside the new master (keepalived: vrrp_restore_interface, force)
    for (const i of created) setEntries(this.deps.net, false, i.entries, () => {});
    for (const i of created) i.start();
    this.unclaimed.reset();
    watch.start([...this.instances.values()]);
  }

  /**
   * Apply a new config without touching unchanged instances: an instance
   * whose own settings (and the global settings) are unchanged keeps its
   * state, timers and VIPs; changed ones restart, removed ones stop.
   */
  reload(next: Config): ReloadPlan {
    const plan = planReload(this.config, [...this.instances.keys()], next);
    this.applyReload(plan, next);
    return plan;
  }

  /**
   * Apply a plan made elsewhere: `next` needs to hold only the instances the
   * plan creates (restarted and added); kept ones keep their own settings.
   */
  applyReload(plan: ReloadPlan, next: Config) {
    for (const name of plan.restarted) {
      this.instances.get(name)!.stop();
      this.instances.delete(name);
    }
    for (const name of plan.removed) {
      this.instances.get(name)!.stop(true);
      this.instances.delete(name);
    }
    this.watch?.stop();
    this.deps.bfd?.apply(next.bfd_instance);
    // static entries gone from the config are removed; the others are (re)set, as keepalived
    const statics = staticEntries(next);
    if (this.statics) this.setStatic(false, entriesMinus(this.statics, statics));
    this.setStatic(true, statics);
    this.statics = statics;
    this.config = next;
    this.groups = new SyncGroups(next);
    const watch = (this.watch = new TrackerWatch(this.deps, next, true));
    const fresh = next.vrrp_instance
      .filter((vi) => runnable(vi) && !this.instances.has(vi.name))
      .map((cfg) => this.create(cfg, watch));
    for (const i of fresh) i.start();
    this.unclaimed.reset();
    watch.start([...this.instances.values()]);
  }

  /** Stop every instance (priority-0 adverts, VIPs removed), then remove the static entries. */
  stop() {
    this.watch?.stop();
    for (const i of this.instances.values()) i.stop();
    this.unclaimed.reset();
    this.deps.bfd?.stop();
    if (this.statics) this.setStatic(false, this.statics);
    this.statics = undefined;
  }

  status(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => i.status());
  }

  instance(name: string) {
    return this.instances.get(name);
  }
}
