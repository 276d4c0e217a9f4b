// Active-active: may this director announce the VIP? Pure. The daemon feeds
// it the state of its virtual servers, its trackers and the operator's drain,
// and enables or disables the BIRD protocol that carries the VIP route
// accordingly (bird-control.ts). Withdrawal is immediate; announcing again
// waits until the director has been able to serve for a while (AnnounceGate),
// so a flapping check does not flap the route upstream.

import type { WithdrawPolicy } from '../core/bgp-names';

/** When to withdraw; the declaration's bgp.withdrawWhen and bgp_announce's withdraw_when take these. */
export { WITHDRAW_POLICIES, type WithdrawPolicy } from '../core/bgp-names';

export interface ServiceHealth {
  /** e.g. `198.51.100.10:80/TCP` */
  name: string;
  /** real servers whose checker says up (unknown = not up: a fresh director has to earn it) */
  alive: number;
  total: number;
}

export interface AnnounceInput {
  services: readonly ServiceHealth[];
  trackers: readonly { name: string; ok: boolean }[];
  /** the operator drained the director (its reason, or true) */
  drained: boolean | string;
  policy: WithdrawPolicy;
}

export interface AnnounceDecision {
  announce: boolean;
  /** one line for logs and status */
  reason: string;
  /** every reason not to announce (empty when announcing) */
  causes: string[];
}

export function decideAnnouncement(input: AnnounceInput): AnnounceDecision {
  const causes: string[] = [];
  if (input.drained)
    causes.push(
      typeof input.drained === 'string' ? `drained: ${input.drained}` : 'drained by the operator',
    );
  for (const t of input.trackers) if (!t.ok) causes.push(`tracker ${t.name} failing`);
  const down = input.services.filter((s) => s.alive === 0);
  if (input.services.length === 0) causes.push('no virtual server');
  else if (
    input.policy === 'any-service-down' ? down.length > 0 : down.length === input.services.length
  )
    for (const s of down) causes.push(`${s.name}: all ${s.total} real servers down`);
  if (causes.length) return { announce: false, reason: `withdraw: ${causes.join('; ')}`, causes };
  const alive = input.services.map((s) => `${s.name} ${s.alive}/${s.total}`).join(', ');
  return { announce: true, reason: `announce: serving (${alive})`, causes };
}

/** What to tell BIRD after a step: nothing, or a change with its reason. */
export interface GateStep {
  announced: boolean;
  change?: 'announce' | 'withdraw';
  reason: string;
}

/**
 * Turns decisions into announce/withdraw changes: withdraw at once, announce
 * only after `settleMs` of uninterrupted "can serve". Starts withdrawn, like
 * the rendered BIRD config (the static protocol starts disabled).
 */
export class AnnounceGate {
  private announced = false;
  private okSince: number | undefined;

  constructor(private settleMs: number) {
    AnnounceGate.checkSettle(settleMs);
  }

  private static checkSettle(ms: number) {
    if (!(ms >= 0)) throw new RangeError(`settleMs must be >= 0, got ${ms}`);
  }

  /** A reload's new announce_after: the announced state is kept (a reload must not flap the route). */
  retime(settleMs: number) {
    AnnounceGate.checkSettle(settleMs);
    this.settleMs = settleMs;
  }

  /** When a director waiting to announce will have waited long enough (undefined: not waiting). */
  get settlesAt(): number | undefined {
    return this.announced || this.okSince === undefined ? undefined : this.okSince + this.settleMs;
  }

  get isAnnounced(): boolean {
    return this.announced;
  }

  step(d: AnnounceDecision, nowMs: number): GateStep {
    if (!d.announce) {
      this.okSince = undefined;
      if (!this.announced) return { announced: false, reason: d.reason };
      this.announced = false;
      return { announced: false, change: 'withdraw', reason: d.reason };
    }
    if (this.announced) return { announced: true, reason: d.reason };
    this.okSince ??= nowMs;
    const waited = nowMs - this.okSince;
    if (waited < this.settleMs)
      return {
        announced: false,
        reason: `can serve for ${waited} ms, announcing after ${this.settleMs} ms`,
      };
    this.announced = true;
    return { announced: true, change: 'announce', reason: d.reason };
  }
}

/**
 * What BIRD must be told so the VIP protocol matches what we want, from its
 * state in `show protocols` (a disabled protocol is `down`, `flush` on its
 * way). Reconciling each round, rather than remembering what we sent, also
 * repairs a restarted BIRD (its protocol starts disabled) or one an operator
 * toggled by hand.
 */
export function protocolToggle(
  wanted: boolean,
  state: string | undefined,
): 'enable' | 'disable' | undefined {
  if (state === undefined) return undefined; // not in BIRD's config: nothing we can do here
  // `flush`: going down, its routes being withdrawn (BIRD's proto_state_name)
  const down = state === 'down' || state === 'flush';
  if (wanted && down) return 'enable';
  if (!wanted && !down) return 'disable';
  return undefined;
}
