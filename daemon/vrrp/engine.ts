// The VRRP engine: every vrrp_instance of a config, their sync groups and
// trackers, driven by the pure Fsm. All I/O goes through NetIO, Clock and
// the script runner, so the same engine runs on a fake network in tests and
// on raw sockets in the daemon.
import type { Config, VrrpInstance } from '../config/model';
import { instanceVersion } from '../config/lint';
import type { Channel, ChannelOptions, Clock, NetIO, Timer, Vip } from '../net/io';
import { encode, VRRP_MCAST, type V3Checksum } from './codec';
import { Fsm, type Action, type Cause, type State } from './fsm';
import { DROP_REASONS, receive, type DropReason } from './receive';

export interface Transition {
  instance: string;
  from: State;
  to: State;
  cause: Cause;
  priority: number;
  /** ms, engine clock */
  at: number;
  wallTime: number;
}

export interface ScriptRunner {
  /** run argv with a timeout; resolves to the exit code (non-zero on timeout or spawn failure) */
  run(argv: string[], timeoutMs: number): Promise<number>;
}

export interface EngineDeps {
  net: NetIO;
  clock: Clock;
  scripts: ScriptRunner;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  onTransition?: (t: Transition) => void;
}

export interface InstanceStatus {
  name: string;
  state: State;
  vrid: number;
  interface: string;
  version: 2 | 3;
  priority: number;
  configuredPriority: number;
  master?: string;
  masterPriority?: number;
  vips: string[];
  lastTransition?: { from: State; to: State; cause: Cause; wallTime: number };
  counters: {
    advertsSent: number;
    advertsReceived: number;
    drops: Record<DropReason, number>;
    lateAdverts: number;
    masterDownFired: number;
    transitions: number;
    lowerPriorityMasterSeen: number;
    /** adverts from another router while this one is master (dual master) */
    otherMasterSeen: number;
    addressMismatch: number;
  };
  trackers: {
    name: string;
    kind: 'script' | 'interface' | 'reference';
    ok: boolean;
    weight: number;
  }[];
  /** heartbeat paths: the instance's interface and any heartbeat_path; up = an advert heard recently */
  paths: { name: string; rx: number; lastRxAgoMs: number | null; up: boolean }[];
  fencing: { runs: number; failures: number; last?: { ok: boolean; wallTime: number } };
}

/** Compare config objects ignoring source positions. */
const fingerprint = (v: unknown) => JSON.stringify(v, (k, x) => (k === 'at' ? undefined : x));

/** Split a script string into argv: whitespace separates, quotes group; no shell. */
export function splitArgv(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cmd))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

interface Tracker {
  name: string;
  kind: 'script' | 'interface' | 'reference';
  /** 0 = failure means FAULT */
  weight: number;
  reverse: boolean;
  ok: boolean;
}

/** Effective priority and fault from trackers (keepalived semantics). */
export function effectivePriority(
  base: number,
  trackers: readonly Tracker[],
): { priority: number; fault: boolean } {
  if (base === 255)
    return { priority: 255, fault: trackers.some((t) => t.weight === 0 && t.ok === t.reverse) };
  let p = base;
  let fault = false;
  for (const t of trackers) {
    const up = t.reverse ? !t.ok : t.ok;
    if (t.weight === 0) {
      if (!up) fault = true;
    } else if (t.weight > 0 && up) p += t.weight;
    else if (t.weight < 0 && !up) p += t.weight;
  }
  return { priority: Math.max(1, Math.min(254, p)), fault };
}

class Instance {
  readonly fsm: Fsm;
  readonly vrid: number;
  readonly version: 2 | 3;
  readonly ifname: string;
  readonly src: string;
  readonly vips: Vip[];
  readonly excluded: Vip[];
  private timers: Partial<Record<'adver' | 'masterDown', Timer>> = {};
  private adverDue: number | null = null;
  private garpTimers: Timer[] = [];
  readonly trackers: Tracker[] = [];
  lastTransition?: Transition;
  readonly counters: InstanceStatus['counters'] = {
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
  private readonly paths: {
    name: string;
    opts: ChannelOptions;
    channel?: Channel;
    rx: number;
    lastRx: number | null;
    warned: boolean;
  }[] = [];
  private readonly ownSources = new Set<string>();
  readonly fencing: InstanceStatus['fencing'] = { runs: 0, failures: 0 };

  constructor(
    readonly cfg: VrrpInstance,
    private readonly config: Config,
    private readonly deps: EngineDeps,
    private readonly engine: VrrpEngine,
  ) {
    const g = config.global_defs;
    this.ifname = cfg.interface!;
    this.vrid = cfg.virtual_router_id!;
    this.version = instanceVersion(config, cfg);
    const src = cfg.unicast_src_ip ?? cfg.mcast_src_ip ?? deps.net.primaryIp(this.ifname);
    if (!src)
      throw new Error(`vrrp_instance ${cfg.name}: interface ${this.ifname} has no IPv4 address`);
    this.src = src;
    const vip = (v: VrrpInstance['virtual_ipaddress'][number]): Vip => ({
      address: v.address,
      prefix: v.prefix,
      dev: v.dev ?? this.ifname,
      ...(v.brd ? { brd: v.brd } : {}),
      ...(v.label ? { label: v.label } : {}),
      ...(v.scope ? { scope: v.scope } : {}),
    });
    this.vips = cfg.virtual_ipaddress.map(vip);
    this.excluded = cfg.virtual_ipaddress_excluded.map(vip);
    this.fsm = new Fsm({
      version: this.version,
      priority: cfg.priority,
      advertInt: this.version === 2 ? Math.max(1, Math.round(cfg.advert_int)) : cfg.advert_int,
      preempt: !cfg.nopreempt,
      preemptDelay: cfg.preempt_delay,
      primaryIp: this.src,
      downTimerAdverts: cfg.down_timer_adverts,
      fencePolicy: cfg.fence_policy ?? (cfg.fence_command ? 'require' : 'off'),
      // keepalive-ts defaults both heal behaviours on (keepalived: off); the config can turn them off
      higherPrioSendAdvert: cfg.higher_prio_send_advert ?? true,
      lowerPrioAnswer: !(cfg.lower_prio_no_advert ?? g.vrrp_lower_prio_no_advert),
    });
    const scripts = new Map(config.vrrp_script.map((s) => [s.name, s]));
    for (const t of cfg.track_script) {
      const s = scripts.get(t.name);
      if (!s) continue;
      this.trackers.push({
        name: t.name,
        kind: 'script',
        weight: t.weight ?? s.weight.value,
        reverse: t.reverse ?? s.weight.reverse,
        ok: !s.init_fail,
      });
    }
    for (const t of cfg.track_interface) {
      if (t.name === this.ifname) continue;
      this.trackers.push({
        name: t.name,
        kind: 'interface',
        weight: t.weight ?? 0,
        reverse: !!t.reverse,
        ok: deps.net.linkUp(t.name),
      });
    }
    if (cfg.track_reference?.address) {
      this.trackers.push({
        name: cfg.track_reference.address,
        kind: 'reference',
        weight: 0,
        reverse: false,
        ok: true,
      });
    }
    const group = this.config.global_defs.vrrp_mcast_group4 || VRRP_MCAST;
    this.paths.push({
      name: this.ifname,
      opts: {
        ifname: this.ifname,
        group,
        src: this.src,
        unicastPeers: cfg.unicast_peer.map((p) => p.address),
      },
      rx: 0,
      lastRx: null,
      warned: false,
    });
    for (const hp of cfg.heartbeat_path) {
      const src = hp.unicast_src_ip ?? deps.net.primaryIp(hp.interface!);
      if (!src)
        throw new Error(
          `vrrp_instance ${cfg.name}: heartbeat_path interface ${hp.interface} has no IPv4 address`,
        );
      this.paths.push({
        name: `${hp.interface}${hp.unicast_peer.length ? ` -> ${hp.unicast_peer.map((p) => p.address).join(',')}` : ''}`,
        opts: {
          ifname: hp.interface!,
          group,
          src,
          unicastPeers: hp.unicast_peer.map((p) => p.address),
        },
        rx: 0,
        lastRx: null,
        warned: false,
      });
    }
    for (const p of this.paths) this.ownSources.add(p.opts.src);
    // the instance's own interface is always tracked, failure = FAULT
    if (!cfg.dont_track_primary) {
      this.trackers.push({
        name: this.ifname,
        kind: 'interface',
        weight: 0,
        reverse: false,
        ok: deps.net.linkUp(this.ifname),
      });
    }
  }

  get name() {
    return this.cfg.name;
  }

  private get g() {
    return this.config.global_defs;
  }

  start() {
    for (const p of this.paths)
      p.channel = this.deps.net.openChannel(p.opts, (pkt) => this.onPacket(pkt, p));
    this.applyTrackers(false);
    this.apply(this.fsm.handle({ type: 'startup' }, this.deps.clock.now()));
  }

  stop() {
    this.apply(this.fsm.handle({ type: 'shutdown' }, this.deps.clock.now()));
    for (const t of this.garpTimers) t.cancel();
    this.garpTimers = [];
    for (const p of this.paths) {
      p.channel?.close();
      p.channel = undefined;
    }
  }

  /** Recompute effective priority / fault from trackers and tell the FSM. */
  applyTrackers(emit = true) {
    const { priority, fault } = effectivePriority(this.cfg.priority, this.trackers);
    const now = this.deps.clock.now();
    const acts: Action[] = [];
    if (priority !== this.fsm.priority)
      acts.push(...this.fsm.handle({ type: 'priority', effective: priority }, now));
    acts.push(...this.fsm.handle({ type: 'fault', on: fault }, now));
    if (emit) this.apply(acts);
  }

  force(to: 'MASTER' | 'BACKUP') {
    this.apply(this.fsm.handle({ type: 'force', to }, this.deps.clock.now()));
  }

  onPacket(pkt: Uint8Array, path?: (typeof this.paths)[number]) {
    const r = receive(
      pkt,
      {
        version: this.version,
        vrid: this.vrid,
        authType: this.version === 2 && this.cfg.authentication?.auth_type === 'PASS' ? 1 : 0,
        authPass: this.cfg.authentication?.auth_pass,
        advertInt: this.cfg.advert_int,
      },
      this.vips.map((v) => v.address),
    );
    if (!r.ok) {
      // a packet of another virtual router on the same link is not a drop of ours
      if (r.reason === 'vrid') return;
      this.counters.drops[r.reason]++;
      return;
    }
    if (this.ownSources.has(r.src)) return; // our own advert looped back
    this.counters.advertsReceived++;
    if (path) this.heard(path);
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

  private send(priority: number) {
    const advert = {
      version: this.version,
      vrid: this.vrid,
      priority,
      advertInt: this.fsm.cfg.advertInt,
      addresses: this.vips.map((v) => v.address),
      ...(this.version === 2
        ? this.cfg.authentication?.auth_type === 'PASS'
          ? { authType: 1 as const, authPass: this.cfg.authentication.auth_pass }
          : { authType: 0 as const }
        : {}),
    };
    const v3Checksum = this.g.vrrp_v3_checksum as V3Checksum;
    // every heartbeat path; one payload per destination (a v3 checksum covers it)
    for (const p of this.paths) {
      const dests = p.opts.unicastPeers.length ? p.opts.unicastPeers : [p.opts.group];
      for (const dst of dests)
        p.channel?.send(encode(advert, { src: p.opts.src, dst, v3Checksum }), dst);
    }
    this.counters.advertsSent++;
  }

  /** Path bookkeeping: a path that goes silent while another still delivers is logged, not failed over. */
  private heard(path: (typeof this.paths)[number]) {
    const now = this.deps.clock.now();
    path.rx++;
    path.lastRx = now;
    if (path.warned) {
      path.warned = false;
      this.deps.log('info', `${this.name}: heartbeat path ${path.name} delivers adverts again`);
    }
    const silentAfter = 3 * this.fsm.masterAdverInt * 1000;
    for (const o of this.paths) {
      if (
        o !== path &&
        !o.warned &&
        (o.lastRx === null
          ? o.rx === 0 && this.counters.advertsReceived > 3
          : now - o.lastRx > silentAfter)
      ) {
        o.warned = true;
        this.deps.log(
          'warn',
          `${this.name}: heartbeat path ${o.name} is silent; the peer is still heard on ${path.name}`,
        );
      }
    }
  }

  /** The fence command ran (or failed): tell the FSM. */
  private fence(target?: string) {
    const cmd = this.cfg.fence_command;
    if (!cmd) {
      this.apply(this.fsm.handle({ type: 'fenced', ok: false }, this.deps.clock.now()));
      return;
    }
    const argv = [...splitArgv(cmd.cmd), ...(target ? [target] : [])];
    this.fencing.runs++;
    this.deps.log(
      'warn',
      `${this.name}: master ${target ?? '?'} vanished without a priority-0 advert: fencing it (${argv.join(' ')})`,
    );
    void this.deps.scripts.run(argv, this.cfg.fence_timeout * 1000).then((code) => {
      const ok = code === 0;
      if (!ok) this.fencing.failures++;
      this.fencing.last = { ok, wallTime: Date.now() };
      this.deps.log(
        ok ? 'info' : 'error',
        `${this.name}: fencing ${ok ? 'succeeded' : `failed (exit ${code})`}`,
      );
      this.apply(this.fsm.handle({ type: 'fenced', ok }, this.deps.clock.now()));
    });
  }

  private setVips(add: boolean) {
    for (const v of [...this.vips, ...this.excluded]) {
      try {
        this.deps.net.setVip(add, v);
      } catch (e) {
        this.deps.log('error', `${this.name}: ${(e as Error).message}`);
      }
    }
  }

  /** keepalived GARP semantics: `repeat` now, `repeat` again after `delay` s, then every `refresh` s. */
  private garp(reason: 'master' | 'lower-priority') {
    const g = this.g;
    const repeat =
      reason === 'master'
        ? (this.cfg.garp_master_repeat ?? g.vrrp_garp_master_repeat)
        : (this.cfg.garp_lower_prio_repeat ??
          g.vrrp_garp_lower_prio_repeat ??
          this.cfg.garp_master_repeat ??
          g.vrrp_garp_master_repeat);
    const delay =
      reason === 'master'
        ? (this.cfg.garp_master_delay ?? g.vrrp_garp_master_delay)
        : (this.cfg.garp_lower_prio_delay ??
          g.vrrp_garp_lower_prio_delay ??
          this.cfg.garp_master_delay ??
          g.vrrp_garp_master_delay);
    const burst = () => {
      if (this.fsm.state !== 'MASTER') return;
      for (let i = 0; i < repeat; i++)
        for (const v of this.vips) this.deps.net.garp(v.dev, v.address);
    };
    burst();
    const now = this.deps.clock.now();
    if (delay > 0) this.garpTimers.push(this.deps.clock.at(now + delay * 1000, burst));
    const refresh = this.cfg.garp_master_refresh ?? g.vrrp_garp_master_refresh;
    if (reason === 'master' && refresh > 0) {
      const again = () => {
        if (this.fsm.state !== 'MASTER') return;
        const n = this.cfg.garp_master_refresh_repeat ?? g.vrrp_garp_master_refresh_repeat;
        for (let i = 0; i < n; i++) for (const v of this.vips) this.deps.net.garp(v.dev, v.address);
        this.garpTimers.push(this.deps.clock.at(this.deps.clock.now() + refresh * 1000, again));
      };
      this.garpTimers.push(this.deps.clock.at(now + refresh * 1000, again));
    }
  }

  private arm(which: 'adver' | 'masterDown', at: number | null) {
    this.timers[which]?.cancel();
    delete this.timers[which];
    if (which === 'adver') this.adverDue = at;
    if (at === null) return;
    this.timers[which] = this.deps.clock.at(at, () => {
      delete this.timers[which];
      const now = this.deps.clock.now();
      if (which === 'adver' && this.adverDue !== null) {
        // late: more than a fifth of the interval after it was due (event loop stalled)
        if (now - this.adverDue > this.fsm.cfg.advertInt * 200) this.counters.lateAdverts++;
        this.engine.noteLag(now - this.adverDue);
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
          if (!a.add) {
            for (const t of this.garpTimers) t.cancel();
            this.garpTimers = [];
          }
          break;
        case 'garp':
          this.garp(a.reason);
          break;
        case 'fence':
          this.fence(a.target);
          break;
        case 'timer':
          this.arm(a.which, a.at);
          break;
        case 'state': {
          this.counters.transitions++;
          const t: Transition = {
            instance: this.name,
            from: a.from,
            to: a.to,
            cause: a.cause,
            priority: this.fsm.priority,
            at: this.deps.clock.now(),
            wallTime: Date.now(),
          };
          this.lastTransition = t;
          this.deps.log(
            'info',
            `${this.name}: ${a.from} -> ${a.to} (${a.cause}, priority ${this.fsm.priority})`,
          );
          this.engine.transitioned(this, t);
          break;
        }
      }
    }
  }

  status(): InstanceStatus {
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
      ...(this.lastTransition
        ? {
            lastTransition: {
              from: this.lastTransition.from,
              to: this.lastTransition.to,
              cause: this.lastTransition.cause,
              wallTime: this.lastTransition.wallTime,
            },
          }
        : {}),
      counters: structuredClone(this.counters),
      trackers: this.trackers.map((t) => ({
        name: t.name,
        kind: t.kind,
        ok: t.ok,
        weight: t.weight,
      })),
      paths: this.paths.map((p) => {
        const ago = p.lastRx === null ? null : Math.round(this.deps.clock.now() - p.lastRx);
        return {
          name: p.name,
          rx: p.rx,
          lastRxAgoMs: ago,
          up: ago !== null && ago <= 3 * this.fsm.masterAdverInt * 1000,
        };
      }),
      fencing: structuredClone(this.fencing),
    };
  }
}

export class VrrpEngine {
  private readonly instances = new Map<string, Instance>();
  private readonly groupOf = new Map<string, string[]>();
  private scriptTimers: Timer[] = [];
  private scriptGeneration = 0;
  private linkTimer?: Timer;
  private syncing = false;
  private stopped = false;
  maxLagMs = 0;

  constructor(
    private config: Config,
    private readonly deps: EngineDeps,
  ) {}

  noteLag(ms: number) {
    if (ms > this.maxLagMs) this.maxLagMs = ms;
  }

  start() {
    this.indexGroups();
    for (const cfg of this.config.vrrp_instance) {
      if (!cfg.interface || cfg.virtual_router_id === undefined) continue;
      this.instances.set(cfg.name, new Instance(cfg, this.config, this.deps, this));
    }
    for (const i of this.instances.values()) i.start();
    this.startScripts();
    this.startLinkWatch();
    this.startReferenceProbes();
  }

  /** Reference-IP guard: ICMP echo every interval; `fall` misses = FAULT, `rise` answers = back. */
  private startReferenceProbes() {
    const generation = this.scriptGeneration;
    for (const inst of this.instances.values()) {
      const ref = inst.cfg.track_reference;
      const t = inst.trackers.find((x) => x.kind === 'reference');
      if (!ref?.address || !t) continue;
      let rise = 0;
      let fall = 0;
      const tick = async () => {
        if (this.stopped || generation !== this.scriptGeneration) return;
        const ok = await this.deps.net.ping(ref.address!, ref.timeout * 1000);
        if (this.stopped || generation !== this.scriptGeneration) return;
        if (ok) {
          rise++;
          fall = 0;
        } else {
          fall++;
          rise = 0;
        }
        const next = t.ok ? fall < ref.fall : rise >= ref.rise;
        if (next !== t.ok) {
          t.ok = next;
          this.deps.log(
            next ? 'info' : 'warn',
            `${inst.name}: reference ${ref.address} ${next ? 'reachable again' : 'unreachable: FAULT, virtual addresses released'}`,
          );
          inst.applyTrackers();
        }
        this.scriptTimers.push(
          this.deps.clock.at(this.deps.clock.now() + ref.interval * 1000, () => void tick()),
        );
      };
      void tick();
    }
  }

  private indexGroups() {
    this.groupOf.clear();
    for (const g of this.config.vrrp_sync_group) {
      const members = g.group.map((m) => m.name);
      for (const m of members) this.groupOf.set(m, members);
    }
  }

  /**
   * Apply a new config without touching unchanged instances: an instance
   * whose own settings (and the global settings) are unchanged keeps its
   * state, timers and VIPs; changed ones restart, removed ones stop.
   */
  reload(next: Config): {
    kept: string[];
    restarted: string[];
    added: string[];
    removed: string[];
  } {
    const r = {
      kept: [] as string[],
      restarted: [] as string[],
      added: [] as string[],
      removed: [] as string[],
    };
    const sameGlobals = fingerprint(this.config.global_defs) === fingerprint(next.global_defs);
    const scriptsOf = (c: Config, vi: VrrpInstance) =>
      fingerprint(c.vrrp_script.filter((s) => vi.track_script.some((t) => t.name === s.name)));
    const nextByName = new Map(next.vrrp_instance.map((v) => [v.name, v]));
    for (const [name, inst] of [...this.instances]) {
      const n = nextByName.get(name);
      const unchanged =
        n &&
        sameGlobals &&
        fingerprint(n) === fingerprint(inst.cfg) &&
        scriptsOf(next, n) === scriptsOf(this.config, inst.cfg);
      if (unchanged) {
        r.kept.push(name);
        continue;
      }
      inst.stop();
      this.instances.delete(name);
      (n ? r.restarted : r.removed).push(name);
    }
    for (const t of this.scriptTimers) t.cancel();
    this.scriptTimers = [];
    this.linkTimer?.cancel();
    this.scriptGeneration++;
    this.config = next;
    this.indexGroups();
    const fresh: Instance[] = [];
    for (const cfg of next.vrrp_instance) {
      if (this.instances.has(cfg.name) || !cfg.interface || cfg.virtual_router_id === undefined)
        continue;
      const inst = new Instance(cfg, next, this.deps, this);
      this.instances.set(cfg.name, inst);
      fresh.push(inst);
      if (!r.restarted.includes(cfg.name)) r.added.push(cfg.name);
    }
    for (const i of fresh) i.start();
    this.startScripts();
    this.startLinkWatch();
    this.startReferenceProbes();
    return r;
  }

  /** Stop every instance: priority-0 adverts, VIPs removed. */
  stop() {
    this.stopped = true;
    for (const t of this.scriptTimers) t.cancel();
    this.linkTimer?.cancel();
    for (const i of this.instances.values()) i.stop();
  }

  transitioned(inst: Instance, t: Transition) {
    this.deps.onTransition?.(t);
    // sync groups: members follow MASTER / BACKUP / FAULT together
    const group = this.groupOf.get(inst.name);
    if (!group || this.syncing) return;
    this.syncing = true;
    try {
      for (const name of group) {
        const other = this.instances.get(name);
        if (!other || other === inst) continue;
        if (t.to === 'MASTER' || t.to === 'BACKUP') other.force(t.to);
        if (t.to === 'FAULT') {
          other.apply(other.fsm.handle({ type: 'fault', on: true }, this.deps.clock.now()));
        } else if (t.from === 'FAULT' && other.fsm.state === 'FAULT') {
          other.applyTrackers();
        }
      }
    } finally {
      this.syncing = false;
    }
  }

  private startScripts() {
    for (const s of this.config.vrrp_script) {
      const users = [...this.instances.values()].filter((i) =>
        i.trackers.some((t) => t.kind === 'script' && t.name === s.name),
      );
      if (users.length === 0 || !s.script) continue; // keepalived only runs scripts something tracks
      const argv = splitArgv(s.script);
      let rise = 0;
      let fall = 0;
      const generation = this.scriptGeneration;
      const tick = async () => {
        if (this.stopped || generation !== this.scriptGeneration) return;
        const code = await this.deps.scripts.run(argv, (s.timeout ?? s.interval) * 1000);
        if (this.stopped || generation !== this.scriptGeneration) return;
        if (code === 0) {
          rise++;
          fall = 0;
        } else {
          fall++;
          rise = 0;
        }
        for (const i of users) {
          const t = i.trackers.find((x) => x.kind === 'script' && x.name === s.name)!;
          const next = t.ok ? !(fall >= s.fall) : rise >= s.rise;
          if (next !== t.ok) {
            t.ok = next;
            this.deps.log(
              next ? 'info' : 'warn',
              `${i.name}: vrrp_script ${s.name} ${next ? 'succeeded' : 'failed'}`,
            );
            i.applyTrackers();
          }
        }
        this.scriptTimers.push(
          this.deps.clock.at(this.deps.clock.now() + s.interval * 1000, () => void tick()),
        );
      };
      void tick();
    }
  }

  private startLinkWatch() {
    const watched = [...this.instances.values()].filter((i) =>
      i.trackers.some((t) => t.kind === 'interface'),
    );
    if (!watched.length) return;
    const poll = () => {
      if (this.stopped) return;
      for (const i of watched) {
        let changed = false;
        for (const t of i.trackers) {
          if (t.kind !== 'interface') continue;
          const up = this.deps.net.linkUp(t.name);
          if (up !== t.ok) {
            t.ok = up;
            changed = true;
            this.deps.log(
              up ? 'info' : 'warn',
              `${i.name}: interface ${t.name} ${up ? 'up' : 'down'}`,
            );
          }
        }
        if (changed) i.applyTrackers();
      }
      this.linkTimer = this.deps.clock.at(this.deps.clock.now() + 200, poll);
    };
    this.linkTimer = this.deps.clock.at(this.deps.clock.now() + 200, poll);
  }

  status(): InstanceStatus[] {
    return [...this.instances.values()].map((i) => i.status());
  }

  instance(name: string) {
    return this.instances.get(name);
  }
}
