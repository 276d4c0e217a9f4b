// The VRRP engine: coordinates every vrrp_instance of a config, their sync
// groups and tracker watchers, and applies reloads. All I/O goes through
// NetIO, Clock and the script runner, so the same engine runs on a fake
// network in tests and on raw sockets in the daemon.
import type { BfdSessions } from '../bfd/sessions';
import type { Config } from '../config/model';
import type { Clock } from '../core/clock';
import type { Log } from '../core/log';
import type { NetIO } from '../net/io';
import { GarpPacer } from './garp-pacer';
import { Instance } from './instance';
import { planReload, runnable, type ReloadPlan } from './reload';
import type { InstanceStatus, Transition } from './status';
import { SyncGroups } from './sync-group';
import { TrackerWatch, type ScriptRunner } from './track-watch';

export interface EngineDeps {
  net: NetIO;
  clock: Clock;
  scripts: ScriptRunner;
  log: Log;
  onTransition?: (t: Transition) => void;
  /** the bfd_instance sessions, run in this thread and following the config */
  bfd?: BfdSessions;
}

export class VrrpEngine {
  private readonly instances = new Map<string, Instance>();
  private groups: SyncGroups;
  private watch?: TrackerWatch;
  /** the latest an advert timer has fired, ms */
  maxLagMs = 0;
  private readonly pacer: GarpPacer;

  constructor(
    private config: Config,
    private readonly deps: EngineDeps,
  ) {
    this.groups = new SyncGroups(config);
    this.pacer = new GarpPacer(deps.clock);
  }

  private create(cfg: Config['vrrp_instance'][number]) {
    const inst = new Instance(cfg, this.config, this.deps, {
      transitioned: (i, t) => {
        this.deps.onTransition?.(t);
        this.groups.follow(i, t, (name) => this.instances.get(name));
      },
      advertLag: (ms) => {
        if (ms > this.maxLagMs) this.maxLagMs = ms;
      },
      pacer: this.pacer,
    });
    this.instances.set(cfg.name, inst);
    return inst;
  }

  private startWatch() {
    this.watch = new TrackerWatch(this.deps, this.config, [...this.instances.values()]);
    this.watch.start();
  }

  start() {
    this.deps.bfd?.apply(this.config.bfd_instance);
    const created = this.config.vrrp_instance.filter(runnable).map((cfg) => this.create(cfg));
    for (const i of created) i.start();
    this.startWatch();
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
    for (const name of [...plan.restarted, ...plan.removed]) {
      this.instances.get(name)!.stop();
      this.instances.delete(name);
    }
    this.watch?.stop();
    this.deps.bfd?.apply(next.bfd_instance);
    this.config = next;
    this.groups = new SyncGroups(next);
    const fresh = next.vrrp_instance
      .filter((vi) => runnable(vi) && !this.instances.has(vi.name))
      .map((cfg) => this.create(cfg));
    for (const i of fresh) i.start();
    this.startWatch();
  }

  /** Stop every instance: priority-0 adverts, VIPs removed. */
  stop() {
    this.watch?.stop();
    for (const i of this.instances.values()) i.stop();
    this.deps.bfd?.stop();
  }

  status(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => i.status());
  }

  instance(name: string) {
    return this.instances.get(name);
  }
}
