// The announcement loop: a round (announcer.ts runRound) on every change the
// daemon reports and every `interval`, over one BIRD control connection kept
// open between rounds. BIRD unreachable is a state, not a crash: it is logged
// once when it starts and once when it ends, and every round tries again.
// Everything it touches comes through LoopDeps, so tests drive it with a fake
// clock and a fake BIRD.
import type { Clock, Timer } from '../core/clock';
import type { Log } from '../core/log';
import type { WithdrawPolicy } from '../core/bgp-names';
import { AnnounceGate, decideAnnouncement, type AnnounceDecision } from './announce';
import { runRound, type BirdPort } from './announcer';
import type { ProtocolRow } from './bird-reply';
import { announceInput, type ServiceView, type TrackerView } from './input';

/** What the loop takes of bgp_announce (config keywords/bgp-announce.ts). */
export interface LoopSettings {
  bird_socket: string;
  protocol: string;
  withdraw_when: WithdrawPolicy;
  /** seconds */
  announce_after: number;
  /** seconds */
  interval: number;
}

export interface BirdSession extends BirdPort {
  close(): void;
}

export interface BgpChange {
  change: 'announce' | 'withdraw';
  announced: boolean;
  reason: string;
  /** when BIRD acknowledged the toggle (epoch ms) */
  wallTime: number;
}

export interface LoopDeps {
  clock: Clock;
  /** epoch ms, for the times reported (events, lastChange) */
  wallNow(): number;
  connect(socket: string): Promise<BirdSession>;
  /** the director's virtual servers and trackers now */
  view(): { services: readonly ServiceView[]; trackers: readonly TrackerView[] };
  /** the operator's drain: false, or its reason (true without one) */
  drained(): boolean | string;
  log: Log;
  changed(c: BgpChange): void;
}

/** `status --json`'s bgp part. */
export interface BgpStatus {
  /** BIRD carries the VIP route (its protocol is up) */
  announced: boolean;
  reason: string;
  causes: string[];
  drained: boolean | string;
  protocol: string;
  /** the protocol's state in BIRD (`up`, `down`...), undefined when BIRD cannot be asked */
  protocolState?: string;
  sessions: string[];
  /** ISO time BIRD acknowledged the last toggle */
  lastChange?: string;
  /** why BIRD cannot carry the decision (unreachable, protocol missing); absent when it can */
  problem?: string;
  changes: { announce: number; withdraw: number };
}

export class AnnounceLoop {
  private readonly gate: AnnounceGate;
  private session?: BirdSession;
  private timer?: Timer;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  private decision: AnnounceDecision = { announce: false, reason: 'starting', causes: [] };
  private rows: ProtocolRow[] = [];
  private problem: string | undefined = 'not asked yet';
  private lastChange?: string;
  private readonly changes = { announce: 0, withdraw: 0 };

  constructor(
    private readonly deps: LoopDeps,
    private settings: LoopSettings,
  ) {
    this.gate = new AnnounceGate(settings.announce_after * 1000);
  }

  start() {
    this.deps.log(
      'info',
      `bgp_announce: protocol ${this.settings.protocol} via ${this.settings.bird_socket}, every ${this.settings.interval} s`,
    );
    this.poke();
  }

  /** Something the decision depends on changed: a round now (coalesced with one running). */
  poke() {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.running = this.rounds().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  /** Wait for the round in progress (tests, shutdown). */
  async idle() {
    while (this.running) await this.running;
  }

  /** A reload's settings. A different BIRD socket or protocol: the old one is withdrawn first. */
  async apply(next: LoopSettings) {
    const before = this.settings;
    if (next.bird_socket !== before.bird_socket || next.protocol !== before.protocol) {
      this.stopped = true;
      this.timer?.cancel();
      await this.idle();
      await this.withdraw('bgp_announce changed BIRD socket or protocol');
      this.session?.close();
      this.session = undefined;
      this.stopped = false;
    }
    this.settings = next;
    this.gate.retime(next.announce_after * 1000);
    this.poke();
  }

  /** Withdraw and stop: SIGTERM, or the block removed by a reload. Bounded by the BIRD client's timeout. */
  async stop(why: string) {
    this.stopped = true;
    this.timer?.cancel();
    await this.idle();
    await this.withdraw(why);
    this.session?.close();
    this.session = undefined;
  }

  status(): BgpStatus {
    const row = this.rows.find((r) => r.name === this.settings.protocol);
    const sessions = this.rows
      .filter((r) => r.proto === 'BGP')
      .map((r) => `${r.name}: ${r.state}${r.info ? ` ${r.info}` : ''}`);
    const waiting = this.decision.announce && !this.gate.isAnnounced;
    return {
      announced: !this.problem && row?.state === 'up',
      reason: waiting
        ? `${this.decision.reason} (settling: announce_after ${this.settings.announce_after} s)`
        : this.decision.reason,
      causes: this.decision.causes,
      drained: this.deps.drained(),
      protocol: this.settings.protocol,
      ...(row && !this.problem ? { protocolState: row.state } : {}),
      sessions: this.problem ? [] : sessions,
      ...(this.lastChange ? { lastChange: this.lastChange } : {}),
      ...(this.problem ? { problem: this.problem } : {}),
      changes: { ...this.changes },
    };
  }

  private async rounds() {
    do {
      this.again = false;
      await this.round();
    } while (this.again && !this.stopped);
  }

  private async round() {
    const { services, trackers } = this.deps.view();
    const s = this.settings;
    const input = announceInput(services, trackers, this.deps.drained(), s.withdraw_when);
    this.decision = decideAnnouncement(input);
    try {
      const bird = await this.connected();
      // runRound reads BIRD's protocols through this port: keep them for status
      const port: BirdPort = {
        showProtocols: async () => (this.rows = await bird.showProtocols()),
        toggle: (verb, protocol) => bird.toggle(verb, protocol),
      };
      const plan = await runRound(port, this.gate, input, this.deps.clock.now(), s.protocol);
      this.setProblem(plan.problem);
      if (plan.toggle) {
        const wallTime = this.deps.wallNow();
        const row = this.rows.find((r) => r.name === s.protocol);
        if (row) row.state = plan.toggle === 'enable' ? 'up' : 'down';
        this.record(plan.toggle === 'enable' ? 'announce' : 'withdraw', plan.step.reason, wallTime);
      }
    } catch (e) {
      this.session?.close();
      this.session = undefined;
      this.rows = [];
      this.setProblem(`BIRD unreachable on ${s.bird_socket}: ${(e as Error).message}`);
    }
  }

  private record(change: 'announce' | 'withdraw', reason: string, wallTime: number) {
    this.changes[change]++;
    this.lastChange = new Date(wallTime).toISOString();
    this.deps.log(change === 'announce' ? 'info' : 'warn', `bgp_announce: ${change} (${reason})`);
    this.deps.changed({ change, announced: change === 'announce', reason, wallTime });
  }

  private async connected(): Promise<BirdSession> {
    this.session ??= await this.deps.connect(this.settings.bird_socket);
    return this.session;
  }

  /**
   * Logged once per change of state, not every round: the state is the text
   * before the first ': ' (a dead BIRD first closes the socket, then refuses
   * connections; both are "unreachable").
   */
  private setProblem(p: string | undefined) {
    const kind = (x: string | undefined) => x?.split(': ')[0];
    const was = this.problem;
    this.problem = p;
    if (kind(p) === kind(was)) return;
    if (p) this.deps.log('error', `bgp_announce: ${p}; retrying every round`);
    else if (was !== 'not asked yet') this.deps.log('info', 'bgp_announce: BIRD reachable again');
  }

  /** Disable the protocol (the route goes), whatever the gate says. */
  private async withdraw(why: string) {
    const protocol = this.settings.protocol;
    try {
      const bird = await this.connected();
      const { changed } = await bird.toggle('disable', protocol);
      if (changed) this.record('withdraw', why, this.deps.wallNow());
    } catch (e) {
      this.session?.close();
      this.session = undefined;
      this.deps.log('error', `bgp_announce: cannot withdraw ${protocol}: ${(e as Error).message}`);
    }
    this.gate.step({ announce: false, reason: why, causes: [why] }, this.deps.clock.now());
    this.rows = [];
  }

  /** The next round: after `interval`, or sooner when a settling director may announce. */
  private schedule() {
    if (this.stopped) return;
    if (this.again) return this.poke();
    const now = this.deps.clock.now();
    const at = Math.min(now + this.settings.interval * 1000, this.gate.settlesAt ?? Infinity);
    this.timer = this.deps.clock.at(Math.max(now, at), () => this.poke());
  }
}
