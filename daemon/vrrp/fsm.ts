// The VRRP state machine of one virtual router (RFC 3768 section 6.4,
// RFC 5798 section 6.4), pure: it takes events with the current time and
// returns actions (send an advert, add/remove VIPs, GARP, arm a timer). The
// runtime executes the actions; tests drive it with a fake clock.

import { ipToBytes } from '../core/address';

export type State = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

export interface FsmConfig {
  version: 2 | 3;
  /** configured priority 1..255 (255 = address owner) */
  priority: number;
  /** seconds */
  advertInt: number;
  /** false = nopreempt */
  preempt: boolean;
  /** seconds after start during which a lower-priority master is not preempted */
  preemptDelay: number;
  /** this router's primary address (the advert source), for the equal-priority tie-break */
  primaryIp: string;
  /** keepalived down_timer_adverts (RFC: 3) */
  downTimerAdverts: number;
  /** master hearing a higher priority sends one advert before yielding (keepalived higher_prio_send_advert) */
  higherPrioSendAdvert: boolean;
  /** master hearing a lower priority answers at once with an advert and GARPs (split-brain heal) */
  lowerPrioAnswer: boolean;
  /** STONITH before taking over from a master that vanished without a priority-0 advert */
  fencePolicy?: 'off' | 'require' | 'best-effort';
}

export type Cause =
  | 'startup'
  | 'owner'
  | 'master-down'
  | 'higher-priority'
  | 'shutdown'
  /** stopped because a reload removed the instance */
  | 'deleted'
  | 'fault'
  | 'fault-cleared'
  | 'sync-group'
  | 'priority-zero'
  | 'fenced';

export type Action =
  | { type: 'send'; priority: number }
  | { type: 'vips'; add: boolean }
  | { type: 'garp'; reason: 'master' | 'lower-priority' }
  | { type: 'timer'; which: 'adver' | 'masterDown'; at: number | null }
  | { type: 'state'; from: State; to: State; cause: Cause }
  /** run the fence command; answer with a 'fenced' event */
  | { type: 'fence'; target?: string }
  /** a master heard a lower priority (or an equal one from a lower address): MASTER_RX_LOWER_PRI */
  | { type: 'lower-priority-heard'; src: string; priority: number };

export type Event =
  | { type: 'startup' }
  | { type: 'advert'; priority: number; src: string; advertInt: number }
  | { type: 'timer'; which: 'adver' | 'masterDown' }
  | { type: 'shutdown' }
  | { type: 'fault'; on: boolean }
  | { type: 'priority'; effective: number }
  /** a sync group moves this member along */
  | { type: 'force'; to: 'MASTER' | 'BACKUP' }
  /** the fence command finished */
  | { type: 'fenced'; ok: boolean };

/** Skew_Time in seconds: v2 (256-prio)/256; v3 scaled by the master's interval. */
export function skewTime(version: 2 | 3, priority: number, masterAdverInt: number): number {
  return version === 2 ? (256 - priority) / 256 : ((256 - priority) * masterAdverInt) / 256;
}

export function masterDownInterval(
  version: 2 | 3,
  priority: number,
  masterAdverInt: number,
  adverts = 3,
): number {
  return adverts * masterAdverInt + skewTime(version, priority, masterAdverInt);
}

/** Compare addresses of one family as unsigned numbers (RFC tie-break: the higher primary address wins). */
export function ipGreater(a: string, b: string): boolean {
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] > y[i];
  return x.length > y.length;
}

export class Fsm {
  state: State = 'INIT';
  /** priority after trackers (255 stays 255) */
  priority: number;
  /** seconds; v3 backups learn it from the master */
  masterAdverInt: number;
  masterIp?: string;
  masterPriority?: number;
  masterDownAt: number | null = null;
  adverAt: number | null = null;
  private startedAt = 0;
  private faulted = false;
  /** a fence command is running; its result decides the takeover */
  fencing = false;

  constructor(readonly cfg: FsmConfig) {
    this.priority = cfg.priority;
    this.masterAdverInt = cfg.advertInt;
  }

  private ms = (s: number) => Math.round(s * 1000);

  masterDownMs(): number {
    return this.ms(
      masterDownInterval(
        this.cfg.version,
        this.priority,
        this.masterAdverInt,
        this.cfg.downTimerAdverts,
      ),
    );
  }

  skewMs(): number {
    return this.ms(skewTime(this.cfg.version, this.priority, this.masterAdverInt));
  }

  handle(ev: Event, now: number): Action[] {
    const out: Action[] = [];
    switch (ev.type) {
      case 'startup':
        this.startedAt = now;
        if (this.faulted) this.go('FAULT', 'fault', now, out);
        else if (this.priority === 255) this.becomeMaster('owner', now, out);
        else this.becomeBackup('startup', now, out);
        break;
      case 'timer':
        if (
          ev.which === 'masterDown' &&
          this.state === 'BACKUP' &&
          this.masterDownAt !== null &&
          now >= this.masterDownAt
        ) {
          const policy = this.cfg.fencePolicy ?? 'off';
          // a master we heard went silent (no clean priority-0 leave): fence it before taking over
          const vanished =
            this.masterPriority !== undefined &&
            this.masterPriority > 0 &&
            this.masterIp !== this.cfg.primaryIp;
          if (policy !== 'off' && vanished) {
            if (!this.fencing) {
              this.fencing = true;
              this.masterDownAt = null;
              out.push({ type: 'fence', ...(this.masterIp ? { target: this.masterIp } : {}) });
            }
          } else this.becomeMaster('master-down', now, out);
        } else if (
          ev.which === 'adver' &&
          this.state === 'MASTER' &&
          this.adverAt !== null &&
          now >= this.adverAt
        ) {
          out.push({ type: 'send', priority: this.priority });
          this.armAdver(now, out);
        }
        break;
      case 'advert':
        this.onAdvert(ev, now, out);
        break;
      case 'shutdown':
        if (this.state === 'MASTER') {
          out.push({ type: 'send', priority: 0 });
          out.push({ type: 'vips', add: false });
        }
        this.clearTimers(out);
        this.go('INIT', 'shutdown', now, out);
        break;
      case 'fault':
        this.faulted = ev.on;
        if (this.state === 'INIT') break;
        if (ev.on && this.state !== 'FAULT') {
          if (this.state === 'MASTER') {
            // release at once: a priority-0 advert makes the backup take over after Skew_Time
            out.push({ type: 'send', priority: 0 });
            out.push({ type: 'vips', add: false });
          }
          this.clearTimers(out);
          this.go('FAULT', 'fault', now, out);
        } else if (!ev.on && this.state === 'FAULT') {
          this.becomeBackup('fault-cleared', now, out);
        }
        break;
      case 'priority': {
        if (this.cfg.priority === 255) break; // an owner's priority cannot be changed by trackers
        this.priority = Math.max(1, Math.min(254, ev.effective));
        break;
      }
      case 'fenced': {
        if (!this.fencing) break; // the master came back while fencing ran: nothing to take over
        this.fencing = false;
        if (this.state !== 'BACKUP') break;
        if (ev.ok || this.cfg.fencePolicy === 'best-effort') {
          this.masterPriority = undefined;
          this.becomeMaster('fenced', now, out);
        } else {
          // require: no takeover without successful fencing; try again after another interval
          this.masterDownAt = now + this.masterDownMs();
          out.push({ type: 'timer', which: 'masterDown', at: this.masterDownAt });
        }
        break;
      }
      case 'force':
        if (this.state === 'FAULT' || this.state === 'INIT') break;
        if (ev.to === 'MASTER' && this.state === 'BACKUP')
          this.becomeMaster('sync-group', now, out);
        if (ev.to === 'BACKUP' && this.state === 'MASTER') {
          out.push({ type: 'vips', add: false });
          this.becomeBackup('sync-group', now, out);
        }
        break;
    }
    return out;
  }

  private onAdvert(ev: Extract<Event, { type: 'advert' }>, now: number, out: Action[]) {
    if (this.state === 'BACKUP') {
      if (this.fencing && ev.priority > 0) this.fencing = false; // the master is alive after all
      if (ev.priority === 0) {
        // the master is leaving: take over after Skew_Time
        this.masterDownAt = now + this.skewMs();
        out.push({ type: 'timer', which: 'masterDown', at: this.masterDownAt });
        this.masterIp = ev.src;
        this.masterPriority = 0;
        return;
      }
      const preemptNow = this.cfg.preempt && now >= this.startedAt + this.ms(this.cfg.preemptDelay);
      if (!preemptNow || ev.priority >= this.priority) {
        if (this.cfg.version === 3) this.masterAdverInt = ev.advertInt;
        this.masterIp = ev.src;
        this.masterPriority = ev.priority;
        this.masterDownAt = now + this.masterDownMs();
        out.push({ type: 'timer', which: 'masterDown', at: this.masterDownAt });
      }
      // else: a lower-priority master and we preempt: let Master_Down_Timer run out
      return;
    }
    if (this.state === 'MASTER') {
      if (ev.priority === 0) {
        out.push({ type: 'send', priority: this.priority });
        this.armAdver(now, out);
        return;
      }
      const higher =
        ev.priority > this.priority ||
        (ev.priority === this.priority && ipGreater(ev.src, this.cfg.primaryIp));
      if (higher) {
        if (this.cfg.higherPrioSendAdvert) out.push({ type: 'send', priority: this.priority });
        if (this.cfg.version === 3) this.masterAdverInt = ev.advertInt;
        this.masterIp = ev.src;
        this.masterPriority = ev.priority;
        out.push({ type: 'vips', add: false });
        this.becomeBackup('higher-priority', now, out);
      } else {
        if (this.cfg.lowerPrioAnswer) {
          // another master with lower priority (split brain healing): assert ourselves now,
          // so clients' ARP caches end up on our MAC rather than the loser's
          out.push({ type: 'send', priority: this.priority });
          out.push({ type: 'garp', reason: 'lower-priority' });
          this.armAdver(now, out);
        }
        // keepalived's notify follows its answer
        out.push({ type: 'lower-priority-heard', src: ev.src, priority: ev.priority });
      }
    }
  }

  private becomeMaster(cause: Cause, now: number, out: Action[]) {
    out.push({ type: 'send', priority: this.priority });
    out.push({ type: 'vips', add: true });
    out.push({ type: 'garp', reason: 'master' });
    this.masterDownAt = null;
    out.push({ type: 'timer', which: 'masterDown', at: null });
    this.masterIp = this.cfg.primaryIp;
    this.masterPriority = this.priority;
    this.masterAdverInt = this.cfg.advertInt;
    this.armAdver(now, out);
    this.go('MASTER', cause, now, out);
  }

  private becomeBackup(cause: Cause, now: number, out: Action[]) {
    this.adverAt = null;
    out.push({ type: 'timer', which: 'adver', at: null });
    this.masterDownAt = now + this.masterDownMs();
    out.push({ type: 'timer', which: 'masterDown', at: this.masterDownAt });
    this.go('BACKUP', cause, now, out);
  }

  private armAdver(now: number, out: Action[]) {
    this.adverAt = now + this.ms(this.cfg.advertInt);
    out.push({ type: 'timer', which: 'adver', at: this.adverAt });
  }

  private clearTimers(out: Action[]) {
    this.adverAt = null;
    this.masterDownAt = null;
    out.push(
      { type: 'timer', which: 'adver', at: null },
      { type: 'timer', which: 'masterDown', at: null },
    );
  }

  private go(to: State, cause: Cause, _now: number, out: Action[]) {
    if (to === this.state) return;
    out.push({ type: 'state', from: this.state, to, cause });
    this.state = to;
  }
}
