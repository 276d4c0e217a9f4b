// The verification's record of what happened, and the measurements taken
// from it. Pure: times are milliseconds on the verifier's clock (whatever
// clock the caller injects), so the analyses run the same on a fake timeline.

/** One probe attempt from the probe host: a new TCP connection (or HTTP request) to the VIP. */
export interface ProbeSample {
  t: number;
  ok: boolean;
}

/** The VIP appearing on (add) or leaving (del) a director, from its address events. */
export interface VipEvent {
  t: number;
  host: string;
  kind: 'add' | 'del';
  /** ± ms: the uncertainty of that host's clock offset */
  unc?: number;
}

/** Something the verifier did (stopped the master, failed a real server, ...). */
export interface Mark {
  t: number;
  label: string;
}

export interface Timeline {
  /** the verifier's time at the start; the report shows times relative to it */
  t0: number;
  probes: ProbeSample[];
  vip: VipEvent[];
  marks: Mark[];
  /** directors and who held the VIP when recording began */
  directors: string[];
  initialHolders: string[];
}

/** First VIP event of `kind` on `host` at or after `from`. */
export function firstVipEvent(
  events: readonly VipEvent[],
  host: string,
  kind: VipEvent['kind'],
  from: number,
): VipEvent | undefined {
  return events
    .filter((e) => e.host === host && e.kind === kind && e.t >= from)
    .sort((a, b) => a.t - b.t)[0];
}

/**
 * Client-visible outage after `from`: from the first failed probe to the
 * first success after the last failure, provided `settle` successes follow
 * it (recording must show recovery). 0 when nothing failed; undefined when
 * probing never recovered.
 */
export function outageAfter(
  samples: readonly ProbeSample[],
  from: number,
  settle = 5,
): { ms: number; failed: number; start?: number; end?: number } | undefined {
  const s = samples.filter((p) => p.t >= from).sort((a, b) => a.t - b.t);
  const fails = s.flatMap((p, i) => (p.ok ? [] : [i]));
  if (!fails.length) return { ms: 0, failed: 0 };
  const first = fails[0];
  const last = fails[fails.length - 1];
  if (s.length - (last + 1) < settle) return undefined;
  return {
    ms: s[last + 1].t - s[first].t,
    failed: fails.length,
    start: s[first].t,
    end: s[last + 1].t,
  };
}

/** Time (ms after `from`) of the last failed probe, provided `settle` successes follow it; 0 when none failed. */
export function lastFailureAfter(
  samples: readonly ProbeSample[],
  from: number,
  settle = 25,
): number | undefined {
  const s = samples.filter((p) => p.t >= from).sort((a, b) => a.t - b.t);
  let last = -1;
  s.forEach((p, i) => {
    if (!p.ok) last = i;
  });
  if (last < 0) return 0;
  const after = s.slice(last + 1);
  if (after.length < settle) return undefined;
  return s[last].t - from;
}

/** Who holds the VIP over time: intervals per director, from the initial holders and the events. */
export function holderIntervals(
  tl: Timeline,
  end: number,
): { host: string; from: number; to: number }[] {
  const out: { host: string; from: number; to: number }[] = [];
  const since = new Map<string, number>();
  for (const h of tl.initialHolders) since.set(h, tl.t0);
  for (const e of [...tl.vip].sort((a, b) => a.t - b.t)) {
    if (e.kind === 'add' && !since.has(e.host)) since.set(e.host, e.t);
    if (e.kind === 'del' && since.has(e.host)) {
      out.push({ host: e.host, from: since.get(e.host)!, to: e.t });
      since.delete(e.host);
    }
  }
  for (const [host, from] of since) out.push({ host, from, to: end });
  return out.sort((a, b) => a.from - b.from);
}
