// When to check a real server next and whether it is up: keepalived's
// timing semantics as a pure state machine (no sockets, injected time).
//
//   - first check after a random warmup in [0, warmup]
//   - a success: up (at once if it was down), next check after delay_loop
//   - a failure while up: retry up to `retry` more times, delay_before_retry
//     apart; only when they all fail is the server down
//   - while down: check every delay_loop; alpha = start down
//   - HTTP_GET/SSL_GET (`recovery`): a server marked down by failures needs
//     two passing checks to come back, as in keepalived's check_http.c (the
//     first clears the failed url, the next full pass marks it up): without
//     fast_recovery they are delay_loop apart, with it the second runs at once.
//     A server down from the start (alpha) is up after one passing check.

export interface Timing {
  /** seconds */
  delayLoop: number;
  retry: number;
  delayBeforeRetry: number;
  warmup: number;
  /** start down until the first success */
  alpha: boolean;
  /** HTTP_GET/SSL_GET: 'slow' (default) or 'fast' (fast_recovery) */
  recovery?: 'slow' | 'fast';
}

export interface Verdict {
  up: boolean;
  /** true when this result changed `up` */
  changed: boolean;
  /** ms, when to check next */
  nextAt: number;
}

export class CheckSchedule {
  up: boolean;
  failures = 0;
  lastChange = 0;
  /** marked down by failures (keepalived's failed_url), not yet cleared by a success */
  private failed = false;

  constructor(
    readonly t: Timing,
    private readonly random: () => number = Math.random,
  ) {
    this.up = !t.alpha;
  }

  /** ms of the first check */
  first(now: number): number {
    return now + Math.floor(this.random() * this.t.warmup * 1000);
  }

  result(ok: boolean, now: number): Verdict {
    const was = this.up;
    if (ok) {
      this.failures = 0;
      if (this.failed && this.t.recovery) {
        this.failed = false;
        return this.verdict(was, now, this.t.recovery === 'fast' ? 0 : this.t.delayLoop);
      }
      this.up = true;
      return this.verdict(was, now, this.t.delayLoop);
    }
    if (!this.up) this.failed = true;
    if (!this.up) return this.verdict(was, now, this.t.delayLoop);
    this.failures++;
    if (this.failures <= this.t.retry) return this.verdict(was, now, this.t.delayBeforeRetry);
    this.failures = 0;
    this.up = false;
    this.failed = true;
    return this.verdict(was, now, this.t.delayLoop);
  }

  private verdict(was: boolean, now: number, afterS: number): Verdict {
    const changed = was !== this.up;
    if (changed) this.lastChange = now;
    return { up: this.up, changed, nextAt: now + Math.round(afterS * 1000) };
  }
}

/**
 * Longest time from the moment a server stops answering until it is marked
 * down: up to one delay_loop until the next check, then retry+1 attempts of at
 * most connect_timeout each, delay_before_retry apart.
 */
export function detectionBoundS(
  t: Pick<Timing, 'delayLoop' | 'retry' | 'delayBeforeRetry'> & { connectTimeout: number },
): number {
  return t.delayLoop + (t.retry + 1) * t.connectTimeout + t.retry * t.delayBeforeRetry;
}

/** keepalived quorum with hysteresis: up at >= quorum + hysteresis, down below quorum - hysteresis. */
export function quorumState(
  wasUp: boolean,
  liveWeight: number,
  quorum: number,
  hysteresis: number,
): boolean {
  if (wasUp) return liveWeight >= quorum - hysteresis;
  return liveWeight >= quorum + hysteresis;
}

/** MISC_CHECK with misc_dynamic: exit 0 = up (weight unchanged), 1 = down, 2..255 = up with weight exit-2. */
export function miscVerdict(code: number, dynamic: boolean): { ok: boolean; weight?: number } {
  if (code === 0) return { ok: true };
  if (dynamic && code >= 2 && code <= 255) return { ok: true, weight: code - 2 };
  return { ok: false };
}

/** HTTP status against keepalived status_code ranges (default 200-299). */
export function statusOk(
  code: number,
  ranges: readonly { from: number; to: number }[] | undefined,
): boolean {
  const rs = ranges && ranges.length ? ranges : [{ from: 200, to: 299 }];
  return rs.some((r) => code >= r.from && code <= r.to);
}
