// One BFD session (RFC 5880 6.8, asynchronous mode, no demand, no echo), as
// keepalived 2.2.7's bfd_scheduler.c runs it. Pure: time comes from the
// injected Clock, packets leave through `send`, and the result a tracker sees
// comes out through `onChange`. The sockets are in io.ts.
import type { Clock, Timer } from '../core/clock';
import { BfdDiag, BfdState, STATE_NAMES, type BfdPacket, type OutgoingPacket } from './packet';

/** The timers a session negotiates with, microseconds (keepalived's units on the wire). */
export interface SessionTimers {
  minRxUs: number;
  minTxUs: number;
  /** DesiredMinTxInterval while not Up (RFC 5880: at least 1 s) */
  idleTxUs: number;
  detectMult: number;
}

export interface SessionParams extends SessionTimers {
  name: string;
  /** wait for the neighbour's first packet before sending */
  passive: boolean;
  /** TTL / hop limit we send with */
  ttl: number;
  /** received TTL may be up to max_hops lower than `ttl`; 255 = not checked */
  maxHops: number;
}

export interface SessionHooks {
  send(p: OutgoingPacket): void;
  /** the session went Up, or down from Up (what a tracker follows), with the diagnostic */
  onChange(up: boolean, why: string): void;
  /** a uniform random number in [0, 1) (jitter, discriminator); Math.random by default */
  random?: () => number;
}

export interface SessionStatus {
  name: string;
  state: string;
  remoteState: string;
  localDiag: number;
  remoteDiag: number;
  localDiscr: number;
  remoteDiscr: number;
  txIntervalUs: number;
  detectTimeUs: number;
  up: boolean;
}

export class BfdSession {
  state = BfdState.Down;
  remoteState = BfdState.Down;
  localDiscr: number;
  remoteDiscr = 0;
  localDiag = BfdDiag.None;
  remoteDiag = 0;
  remoteMinTx = 0;
  remoteMinRx = 0;
  remoteMult = 0;
  poll = false;
  final = false;
  /** current transmit interval and detection time, microseconds */
  txIntervalUs: number;
  detectTimeUs = 0;
  /** the interval the peer sends at, as agreed: max(our min_rx, its min_tx) */
  remoteTxUs = 0;
  /** what trackers see: set on Up, cleared on a fall from Up (not when the peer said AdminDown) */
  up = false;
  private txTimer?: Timer;
  private expireTimer?: Timer;
  private resetTimer?: Timer;
  private readonly random: () => number;
  private stopped = false;

  constructor(
    public params: SessionParams,
    private readonly clock: Clock,
    private readonly hooks: SessionHooks,
  ) {
    this.random = hooks.random ?? Math.random;
    this.localDiscr = 1 + Math.floor(this.random() * 0xfffffffe);
    this.txIntervalUs = params.idleTxUs;
  }

  /** Start transmitting (an active session sends its first packet at once). */
  start() {
    if (!this.params.passive) this.sendNow(true);
  }

  stop() {
    this.stopped = true;
    for (const t of [this.txTimer, this.expireTimer, this.resetTimer]) t?.cancel();
    this.txTimer = this.expireTimer = this.resetTimer = undefined;
  }

  /** New timers on reload (keepalived keeps the session and starts a poll sequence). */
  reconfigure(next: SessionParams) {
    const old = this.params;
    this.params = next;
    const changed =
      old.minRxUs !== next.minRxUs ||
      old.minTxUs !== next.minTxUs ||
      old.idleTxUs !== next.idleTxUs ||
      old.detectMult !== next.detectMult;
    if (changed) this.startPoll();
    if (this.state !== BfdState.Up) this.idleTx();
    if (!next.passive && !this.txTimer) this.scheduleTx();
  }

  status(): SessionStatus {
    return {
      name: this.params.name,
      state: STATE_NAMES[this.state],
      remoteState: STATE_NAMES[this.remoteState],
      localDiag: this.localDiag,
      remoteDiag: this.remoteDiag,
      localDiscr: this.localDiscr,
      remoteDiscr: this.remoteDiscr,
      txIntervalUs: this.txIntervalUs,
      detectTimeUs: this.detectTimeUs,
      up: this.up,
    };
  }

  /** The packet we would send now. */
  packet(): OutgoingPacket {
    if (this.poll && this.final) this.poll = false; // the Final carries the new values too
    return {
      diag: this.localDiag,
      state: this.state,
      poll: this.poll,
      final: this.final,
      detectMult: this.params.detectMult,
      myDiscr: this.localDiscr,
      yourDiscr: this.remoteDiscr,
      desiredMinTx: this.state === BfdState.Up ? this.params.minTxUs : this.params.idleTxUs,
      requiredMinRx: this.params.minRxUs,
    };
  }

  /**
   * A packet that passed checkBfd and was selected for this session (RFC 5880
   * 6.8.6 from "If the A bit is set" on). `ttl` is the received TTL or hop
   * limit (undefined when the socket could not say). Returns why it was
   * discarded, or undefined.
   */
  receive(p: BfdPacket, ttl?: number): string | undefined {
    if (this.stopped) return 'session stopped';
    const { params } = this;
    if (params.maxHops !== 255 && ttl && params.maxHops + ttl < params.ttl)
      return `TTL ${ttl} < ${params.ttl - params.maxHops}`;
    if (p.auth) return 'authentication bit set, but no authentication is in use';
    if (this.state === BfdState.AdminDown) return 'session is AdminDown';

    this.remoteDiscr = p.myDiscr;
    this.remoteState = p.state;
    this.remoteDiag = p.diag;
    this.remoteMinRx = p.requiredMinRx;
    this.remoteMinTx = p.desiredMinTx;
    this.remoteMult = p.detectMult;
    if (p.final) this.poll = false; // the poll sequence is over

    const oldTx = this.txIntervalUs;
    // intervals follow the peer while not Up, and in Up only through a poll sequence
    if (this.state !== BfdState.Up || p.poll || p.final) {
      const bothRising =
        p.state === BfdState.Up && (this.state === BfdState.Init || this.state === BfdState.Up);
      if (bothRising) this.txIntervalUs = Math.max(params.minTxUs, this.remoteMinRx);
      else this.idleTx();
      this.remoteTxUs = Math.max(params.minRxUs, this.remoteMinTx);
    }
    // Detection Time = the peer's multiplier x the agreed interval (RFC 5880 6.8.4)
    this.detectTimeUs = this.remoteMult * this.remoteTxUs;

    if (p.state === BfdState.AdminDown) {
      if (this.state !== BfdState.Down) this.down(BfdDiag.NeighborDown);
    } else if (this.state === BfdState.Down) {
      if (p.state === BfdState.Down) this.rise(BfdState.Init);
      else if (p.state === BfdState.Init) this.rise(BfdState.Up);
    } else if (this.state === BfdState.Init) {
      if (p.state === BfdState.Init || p.state === BfdState.Up) this.rise(BfdState.Up);
    } else if (this.state === BfdState.Up && p.state === BfdState.Down) {
      this.down(BfdDiag.NeighborDown);
    }

    if (!this.txTimer && (!params.passive || this.state !== BfdState.Down)) this.scheduleTx();
    else if (this.txTimer && this.txIntervalUs < oldTx) this.scheduleTx();
    if (p.poll) {
      this.final = true;
      this.sendNow(false);
    }
    // a valid packet restarts the detection timer
    if (this.state === BfdState.Up || this.state === BfdState.Init) this.armExpiry();
    return undefined;
  }

  private idleTx() {
    this.txIntervalUs = Math.max(this.params.idleTxUs, this.remoteMinRx);
  }

  private startPoll() {
    if (!this.final) this.poll = true;
  }

  private rise(to: BfdState.Init | BfdState.Up) {
    const from = this.state;
    this.state = to;
    this.localDiag = BfdDiag.None;
    this.resetTimer?.cancel();
    this.resetTimer = undefined;
    if (to === BfdState.Up) {
      // faster timers from now on: tell the peer through a poll sequence
      if (this.params.idleTxUs !== this.params.minTxUs) this.startPoll();
      this.up = true;
      this.hooks.onChange(true, `${STATE_NAMES[from]} -> Up`);
    }
  }

  private down(diag: BfdDiag) {
    const wasUp = this.state === BfdState.Up;
    this.state = BfdState.Down;
    this.localDiag = diag;
    this.expireTimer?.cancel();
    this.expireTimer = undefined;
    this.idleTx();
    // after a detection time, forget the peer (keepalived's reset thread)
    this.resetTimer?.cancel();
    this.resetTimer = this.after(this.detectTimeUs, () => {
      this.resetTimer = undefined;
      this.remoteState = BfdState.Down;
      this.remoteDiscr = 0;
      this.remoteDiag = 0;
      this.poll = this.final = false;
      this.idleTx();
    });
    if (this.params.passive) {
      this.txTimer?.cancel();
      this.txTimer = undefined;
    }
    if (wasUp && this.remoteState !== BfdState.AdminDown) {
      this.up = false;
      this.hooks.onChange(false, DIAG_TEXT[diag]);
    }
  }

  private armExpiry() {
    this.expireTimer?.cancel();
    this.expireTimer = this.after(this.detectTimeUs, () => {
      this.expireTimer = undefined;
      this.remoteDiscr = 0; // RFC 5880 6.8.1: forgotten after a Detection Time of silence
      this.down(BfdDiag.DetectionExpired);
    });
  }

  private after(us: number, fn: () => void): Timer {
    return this.clock.at(this.clock.now() + us / 1000, fn);
  }

  /** Periodic transmission, jittered down by 10-25% like keepalived (RFC 5880 6.8.7). */
  private scheduleTx() {
    this.txTimer?.cancel();
    const jitter = this.txIntervalUs * (0.1 + 0.15 * this.random());
    this.txTimer = this.after(this.txIntervalUs - jitter, () => {
      this.txTimer = undefined;
      this.sendNow(true);
    });
  }

  /** Send one packet now; `periodic` schedules the next (a Final does not). */
  private sendNow(periodic: boolean) {
    if (this.stopped || this.state === BfdState.AdminDown) return;
    this.hooks.send(this.packet());
    this.final = false;
    if (periodic) this.scheduleTx();
  }
}

export const DIAG_TEXT: Record<number, string> = {
  [BfdDiag.None]: 'no diagnostic',
  [BfdDiag.DetectionExpired]: 'control detection time expired',
  [BfdDiag.EchoFailed]: 'echo function failed',
  [BfdDiag.NeighborDown]: 'neighbor signaled session down',
  [BfdDiag.ForwardingReset]: 'forwarding plane reset',
  [BfdDiag.PathDown]: 'path down',
  [BfdDiag.ConcatPathDown]: 'concatenated path down',
  [BfdDiag.AdminDown]: 'administratively down',
  [BfdDiag.ReverseConcatPathDown]: 'reverse concatenated path down',
};
