// One vrrp_instance: the pure Fsm plus what it drives — adverts on its
// heartbeat paths, its virtual addresses, announcements, fencing and timers.
// It knows nothing of other instances: the engine wires sync groups and
// trackers around it through the hooks it is given.
import type { Config, VrrpInstance } from '../config/model';
import { strictInstance } from '../config/strict';
import { instanceFamily, instanceVersion } from '../config/version';
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import type { NetIO, Vip } from '../net/io';
import { Announcer } from './announce';
import { setEntries, vipOf } from './entries';
import { AdvertCache } from './advert-cache';
import { Fencer } from './fencing';
import { SocketKeeper } from './socket-keeper';
import { sourceTracker } from './track-source';
import type { GarpPacer } from './garp-pacer';
import { Fsm, type Action } from './fsm';
import { HeartbeatPaths, type Path } from './paths';
import { DROP_REASONS, peekVrid, receive, type DropReason, type Expect } from './receive';
import {
  lastTransitionStatus,
  trackerStatus,
  type InstanceCounters,
  type InstanceEvent,
  type InstanceStatus,
  type Transition,
} from './status';
import { effectivePriority, trackersFor, type Tracker, type TrackerStart } from './track';
import type { ScriptRunner } from './track-watch';
import { planVmacs, Vmacs } from './vmac';

export interface InstanceDeps {
  net: NetIO;
  clock: Clock;
  scripts: ScriptRunner;
  log: Log;
}

export interface InstanceHooks {
  transitioned(inst: Instance, t: Transition): void;
  /** MASTER_RX_LOWER_PRI and priority changes (keepalived's notify events) */
  event?(e: InstanceEvent): void;
  /** GARP/NA spacing shared by every instance (per interface or garp_group) */
  pacer: GarpPacer;
  /** how late an advert timer fired, ms */
  advertLag(ms: number): void;
  /** how late any timer of it fired, ms (auto priority) */
  timerLag?(ms: number): void;
  /** a packet not of its VRID (undefined: none to read) reached its socket (unclaimed.ts) */
  foreign?(vrid: number | undefined, path: Path, pkt: Uint8Array): void;
}

export class Instance {
  readonly fsm: Fsm;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly src: string;
  readonly vips: Vip[];
  readonly excluded: Vip[];
  readonly trackers: Tracker[];
  lastTransition?: Transition;
  readonly counters: InstanceCounters = {
    advertsSent: 0,
    advertsReceived: 0,
    drops: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    lateAdverts: 0,
    masterDownFired: 0,
    transitions: 0,
    lowerPriorityMasterSeen: 0,
    otherMasterSeen: 0,
    addressMismatch: 0,
  };
  private timers: Partial<Record<'adver' | 'masterDown', Timer>> = {};
  private adverDue: number | null = null;
  private readonly paths: HeartbeatPaths;
  /** what a unicast instance checks of what it receives (keepalived: check_unicast_src, min/max_ttl) */
  private readonly unicast?: Expect['unicast'];
  private readonly announcer: Announcer;
  private readonly fencer: Fencer;
  private readonly adverts: AdvertCache;
  /** use_vmac: the macvlans it makes; the VIPs and adverts on them */
  private readonly vmacs: Vmacs;

  /** the instance as it runs (strict mode's resets applied) */
  readonly cfg: VrrpInstance;

  constructor(
    configured: VrrpInstance,
    private readonly config: Config,
    private readonly deps: InstanceDeps,
    private readonly hooks: InstanceHooks,
    /** first values of track files and process quorums (the watchers' initial reading) */
    start: Omit<TrackerStart, 'linkUp'> = {},
  ) {
    const cfg = (this.cfg = strictInstance(config, configured));
    const g = config.global_defs;
    this.ifname = cfg.interface!;
    this.vrid = cfg.virtual_router_id!;
    this.version = instanceVersion(config, cfg);
    this.family = instanceFamily(cfg);
    const dynamic = config.global_defs.dynamic_interfaces !== undefined;
    const configuredSrc = cfg.unicast_src_ip ?? cfg.mcast_src_ip;
    const primary = () => deps.net.primaryIp(this.ifname, this.family);
    const found = configuredSrc ?? primary();
    if (!found && !dynamic)
      throw new Error(
        `vrrp_instance ${cfg.name}: interface ${this.ifname} has no ${this.family === 6 ? 'IPv6 link-local' : 'IPv4'} address`,
      );
    // dynamic_interfaces: found when the interface is there (the sockets open then)
    const src = found ?? (this.family === 6 ? '::' : '0.0.0.0');
    this.src = src;
    this.vmacs = new Vmacs(
      planVmacs(cfg, config, this.family, src, (i) => deps.net.primaryIp(i, 6)),
      deps.net,
    );
    const devOf = this.vmacs.plan.devOf;
    // adverts carry one family; addresses of the other are set like excluded ones (keepalived)
    const mine = (v: { address: string }) => v.address.includes(':') === (this.family === 6);
    this.vips = cfg.virtual_ipaddress.filter(mine).map(vipOf(devOf));
    this.excluded = [
      ...cfg.virtual_ipaddress.filter((v) => !mine(v)),
      ...cfg.virtual_ipaddress_excluded,
    ].map(vipOf(devOf));
    this.fsm = new Fsm({
      version: this.version,
      priority: cfg.priority,
      advertInt: this.version === 2 ? Math.max(1, Math.round(cfg.advert_int)) : cfg.advert_int,
      preempt: !cfg.nopreempt,
      preemptDelay: cfg.preempt_delay,
      primaryIp: this.src,
      downTimerAdverts: cfg.down_timer_adverts ?? g.vrrp_down_timer_adverts ?? 3,
      fencePolicy: cfg.fence_policy ?? (cfg.fence_command ? 'require' : 'off'),
      // keepalive-ts defaults both heal behaviours on (keepalived: off); the config can turn them off
      higherPrioSendAdvert: cfg.higher_prio_send_advert ?? g.vrrp_higher_prio_send_advert ?? true,
      lowerPrioAnswer: !(cfg.lower_prio_no_advert ?? g.vrrp_lower_prio_no_advert),
    });
    if (cfg.unicast_peer.length)
      this.unicast = {
        checkSrc: cfg.check_unicast_src || g.vrrp_check_unicast_src,
        peers: [...cfg.unicast_peer, ...cfg.heartbeat_path.flatMap((p) => p.unicast_peer)],
      };
    this.paths = new HeartbeatPaths(cfg, config, src, this.family, deps.net, deps.clock, deps.log, {
      ifname: this.vmacs.plan.channelIfname,
      ...(dynamic && !configuredSrc ? { resolveSrc: primary } : {}),
    });
    this.trackers = [
      ...trackersFor(cfg, config, { ...start, linkUp: (i) => deps.net.linkUp(i) }),
      ...sourceTracker(cfg.track_src_ip, cfg.unicast_src_ip ?? cfg.mcast_src_ip, (ip) =>
        deps.net.hasAddress(ip),
      ),
    ];
    // keepalived: unicast keywords without a peer fall back to multicast unless this says FAULT
    if (cfg.unicast_fault_no_peer && !cfg.unicast_peer.length && cfg.unicast_src_ip)
      this.configFault = 'unicast_fault_no_peer: no unicast peer';
    this.announcer = new Announcer(
      cfg,
      config,
      [...this.vips, ...this.excluded], // keepalived announces excluded addresses too
      deps.net,
      deps.clock,
      () => this.fsm.state === 'MASTER',
      hooks.pacer,
    );
    this.fencer = new Fencer(cfg.name, cfg, deps.scripts, deps.log);
    this.sockets = new SocketKeeper(
      cfg.name,
      this.ifname, // the base interface: a vmac on it is made when the sockets open
      dynamic,
      { clock: deps.clock, log: deps.log, ifindex: (n) => deps.net.interfaceIndex(n) },
      {
        open: () => {
          this.vmacs.ensure();
          this.paths.open(this.deps.net, (pkt, path) => this.onPacket(pkt, path));
          this.fsm.cfg.primaryIp = this.paths.src;
        },
        close: () => this.paths.close(),
      },
      () => this.applyTrackers(),
    );
    this.adverts = new AdvertCache(cfg, config, {
      version: this.version,
      vrid: this.vrid,
      addresses: this.vips.map((v) => v.address),
      family: this.family,
      advertInt: () => this.fsm.cfg.advertInt,
    });
  }

  get name() {
    return this.cfg.name;
  }

  /** the sockets it listens on: one per heartbeat path (open while it has a channel) */
  listening(): readonly Path[] {
    return this.paths.all;
  }

  /**
   * vrrp_startup_delay (keepalived: vrrp_delayed_start_time): until then a
   * master-down timer is pushed to this time plus its interval; an address
   * owner (keepalived: BACKUP with a 1 us down timer) starts at this time.
   */
  delayedUntil = 0;

  start() {
    if (this.cfg.priority === 255 && this.deps.clock.now() < this.delayedUntil) {
      this.reopen = this.deps.clock.at(this.delayedUntil, () => this.start());
      return;
    }
    if (this.cfg.promote_secondaries)
      this.promoted = this.deps.net.sysctl(`net/ipv4/conf/${this.ifname}/promote_secondaries`, '1');
    if (this.configFault) this.deps.log('warn', `${this.name}: ${this.configFault}; FAULT`);
    this.sockets.open();
    this.applyTrackers(false);
    this.apply(this.fsm.handle({ type: 'startup' }, this.deps.clock.now()));
  }

  /** a reload removed the instance: its stop is told as a deletion */
  private deleted = false;

  stop(deleted = false) {
    this.deleted = deleted;
    this.reopen?.cancel();
    this.sockets.stop();
    this.apply(this.fsm.handle({ type: 'shutdown' }, this.deps.clock.now()));
    if (this.promoted !== undefined && this.promoted !== '1')
      this.deps.net.sysctl(`net/ipv4/conf/${this.ifname}/promote_secondaries`, this.promoted);
    this.announcer.cancel();
    this.paths.close();
    this.vmacs.remove((m) => this.deps.log('warn', `${this.name}: ${m}`));
  }

  private reopen?: Timer;
  /** a configuration that can only be FAULT (unicast_fault_no_peer) */
  private configFault?: string;
  /** promote_secondaries before we set it, restored at stop */
  private promoted?: string;
  /** the VRRP sockets, kept open (FAULT while they cannot be) */
  private readonly sockets: SocketKeeper;

  /** Recompute effective priority / fault from trackers (and the sockets) and tell the FSM. */
  applyTrackers(emit = true) {
    const eff = effectivePriority(this.cfg.priority, this.trackers);
    const priority = eff.priority;
    this.sockets.linkChanged();
    const fault = eff.fault || this.sockets.fault !== undefined || this.configFault !== undefined;
    const now = this.deps.clock.now();
    const acts: Action[] = [];
    const previous = this.fsm.priority;
    const state = this.fsm.state;
    if (priority !== previous)
      acts.push(...this.fsm.handle({ type: 'priority', effective: priority }, now));
    // keepalived tells of the change before any transition it leads to
    if (emit && this.fsm.priority !== previous)
      this.hooks.event?.({ kind: 'priority', instance: this.name, state, priority, previous });
    acts.push(...this.fsm.handle({ type: 'fault', on: fault }, now));
    if (emit) this.apply(acts);
  }

  /** A sync group moves this member with another one. */
  force(to: 'MASTER' | 'BACKUP') {
    this.apply(this.fsm.handle({ type: 'force', to }, this.deps.clock.now()));
  }

  /** A sync group puts this member in FAULT with another one. */
  fault() {
    this.apply(this.fsm.handle({ type: 'fault', on: true }, this.deps.clock.now()));
  }

  onPacket(pkt: Uint8Array, path?: Path) {
    // a packet of another virtual router (or of none) on the same link is not a drop of ours
    const vrid = peekVrid(pkt);
    if (vrid !== this.vrid) return this.hooks.foreign?.(vrid, path ?? this.paths.all[0], pkt);
    const r = receive(
      pkt,
      {
        version: this.version,
        vrid: this.vrid,
        authType: this.version === 2 && this.cfg.authentication?.auth_type === 'PASS' ? 1 : 0,
        authPass: this.cfg.authentication?.auth_pass,
        advertInt: this.cfg.advert_int,
        ...(this.unicast ? { unicast: this.unicast } : {}),
        ...(this.adverts.checksum.altDst ? { altChecksumDst: this.adverts.checksum.altDst } : {}),
        ...(this.fsm.state === 'BACKUP' &&
        this.fsm.masterIp &&
        (this.cfg.skip_check_adv_addr ?? this.config.global_defs.vrrp_skip_check_adv_addr)
          ? { skipAddressCheckFrom: this.fsm.masterIp }
          : {}),
      },
      this.vips.map((v) => v.address),
    );
    if (!r.ok) {
      this.counters.drops[r.reason]++;
      return;
    }
    if (this.paths.ownSources.has(r.src)) return; // our own advert looped back
    this.counters.advertsReceived++;
    if (r.checksumForm === 'old-unicast' && this.adverts.heardOldChecksum())
      this.deps.log('info', `${this.name}: setting unicast VRRPv3 checksum to old version`);
    if (path)
      this.paths.heard(this.name, path, this.silentAfterMs(), this.counters.advertsReceived);
    if (this.fsm.state === 'MASTER' && r.advert.priority > 0) this.counters.otherMasterSeen++;
    if (!r.addressesMatch) this.counters.addressMismatch++;
    if (
      this.fsm.state === 'MASTER' &&
      r.advert.priority > 0 &&
      r.advert.priority < this.fsm.priority
    ) {
      this.counters.lowerPriorityMasterSeen++;
      this.deps.log(
        'warn',
        `${this.name}: another master ${r.src} (priority ${r.advert.priority}) on VRID ${this.vrid}; asserting priority ${this.fsm.priority}`,
      );
    }
    this.apply(
      this.fsm.handle(
        { type: 'advert', priority: r.advert.priority, src: r.src, advertInt: r.advert.advertInt },
        this.deps.clock.now(),
      ),
    );
  }

  /** three master advert intervals: a path or peer quieter than this is silent */
  private silentAfterMs() {
    return 3 * this.fsm.masterAdverInt * 1000;
  }

  private send(priority: number) {
    this.paths.send((src, dst) => this.adverts.payload(priority, src, dst));
    this.counters.advertsSent++;
  }

  /** VIPs, excluded addresses, virtual_routes and virtual_rules (keepalived's order) */
  get entries() {
    const { virtual_routes: routes, virtual_rules: rules } = this.cfg;
    return { addresses: [...this.vips, ...this.excluded], routes, rules };
  }

  private setVips(add: boolean) {
    setEntries(this.deps.net, add, this.entries, (m) =>
      this.deps.log('error', `${this.name}: ${m}`),
    );
  }

  private arm(which: 'adver' | 'masterDown', at: number | null) {
    this.timers[which]?.cancel();
    delete this.timers[which];
    if (which === 'adver') this.adverDue = at;
    if (at === null) return;
    const armed = this.deps.clock.now();
    if (which === 'masterDown' && armed < this.delayedUntil) at = this.delayedUntil + (at - armed);
    const due = at;
    this.timers[which] = this.deps.clock.at(at, () => {
      delete this.timers[which];
      const now = this.deps.clock.now();
      this.hooks.timerLag?.(now - due);
      if (which === 'adver' && this.adverDue !== null) {
        // late: more than a fifth of the interval after it was due (event loop stalled)
        if (now - this.adverDue > this.fsm.cfg.advertInt * 200) this.counters.lateAdverts++;
        this.hooks.advertLag(now - this.adverDue);
      }
      if (which === 'masterDown') this.counters.masterDownFired++;
      this.apply(this.fsm.handle({ type: 'timer', which }, now));
    });
  }

  apply(actions: Action[]) {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          this.send(a.priority);
          break;
        case 'vips':
          this.setVips(a.add);
          if (!a.add) this.announcer.cancel();
          break;
        case 'garp':
          this.announcer.announce(a.reason);
          break;
        case 'fence':
          this.fencer.fence(a.target, (ok) =>
            this.apply(this.fsm.handle({ type: 'fenced', ok }, this.deps.clock.now())),
          );
          break;
        case 'timer':
          this.arm(a.which, a.at);
          break;
        case 'state':
          this.transition(a.from, a.to, a.cause);
          break;
        case 'lower-priority-heard':
          this.hooks.event?.({
            kind: 'master_rx_lower_pri',
            instance: this.name,
            priority: this.fsm.priority,
            from: a.src,
            theirs: a.priority,
          });
          break;
      }
    }
  }

  private transition(from: Transition['from'], to: Transition['to'], why: Transition['cause']) {
    const cause = this.deleted && to === 'INIT' ? 'deleted' : why;
    this.counters.transitions++;
    const t: Transition = {
      instance: this.name,
      from,
      to,
      cause,
      priority: this.fsm.priority,
      at: this.deps.clock.now(),
      wallTime: Date.now(),
    };
    this.lastTransition = t;
    this.deps.log(
      'info',
      `${this.name}: ${from} -> ${to} (${cause}, priority ${this.fsm.priority})`,
    );
    this.hooks.transitioned(this, t);
  }

  status(): InstanceStatus {
    const last = this.lastTransition;
    return {
      name: this.name,
      state: this.fsm.state,
      vrid: this.vrid,
      interface: this.ifname,
      version: this.version,
      priority: this.fsm.priority,
      configuredPriority: this.cfg.priority,
      ...(this.fsm.masterIp ? { master: this.fsm.masterIp } : {}),
      ...(this.fsm.masterPriority !== undefined ? { masterPriority: this.fsm.masterPriority } : {}),
      vips: this.vips.map((v) => `${v.address}/${v.prefix}`),
      ...lastTransitionStatus(last),
      counters: structuredClone(this.counters),
      trackers: this.trackers.map(trackerStatus),
      paths: this.paths.status(this.silentAfterMs()),
      fencing: structuredClone(this.fencer.status),
    };
  }
}
