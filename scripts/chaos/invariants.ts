// The soak's invariants, judged over what the observers recorded. Pure: the
// runner hands in samples and fault records (times in epoch ms, all taken on
// this machine's clock where the thing happened), these return violations.
import { outageAfter, type ProbeSample } from '../../verify/timeline';
import type { FaultClass, OutageMeasure } from './classes';

export interface Violation {
  invariant: 'single-holder' | 'outage' | 'exit' | 'resources' | 'events' | 'reload' | 'settle';
  at: number;
  detail: string;
  /** the fault (index) it belongs to, if any */
  fault?: number;
}

/** One look at one director: does it hold the VIP (on an interface that is up)? */
export interface HolderSample {
  t: number;
  host: string;
  holds: boolean;
}

/** One fault as it happened: injected at `start`, healed at `heal`, its window closes at `end`. */
export interface FaultRecord {
  index: number;
  cls: FaultClass;
  target: string;
  start: number;
  heal: number;
  end: number;
}

/** Samples further apart than this do not bracket one holding stretch (the samplers look every ~100 ms). */
const STALE_MS = 500;

/** Each host's stretches of holding, from its first to its last sample that saw the VIP. */
export function holdingRuns(samples: readonly HolderSample[]) {
  const runs: { host: string; from: number; to: number }[] = [];
  const open = new Map<string, { host: string; from: number; to: number }>();
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const r = open.get(s.host);
    if (s.holds && r && s.t - r.to <= STALE_MS) r.to = s.t;
    else if (s.holds) {
      const n = { host: s.host, from: s.t, to: s.t };
      runs.push(n);
      open.set(s.host, n);
    } else open.delete(s.host);
  }
  return runs;
}

/**
 * After every heal, at most one VIP holder from heal + `withinMs` to the end
 * of the fault's window. Two hosts count as holding at once only when their
 * holding stretches, each bracketed by its own samples, overlap: a VIP move
 * seen by samplers ~100 ms apart is not mistaken for two holders.
 */
export function singleHolderAfterHeals(
  samples: readonly HolderSample[],
  faults: readonly FaultRecord[],
  withinMs = 1_000,
  /** overlaps up to this long are a VIP move (the old master lets go when it hears the new one) */
  moveMs = 0,
): { violations: Violation[]; longestMoveMs: number } {
  const runs = holdingRuns(samples);
  const out: Violation[] = [];
  let longestMoveMs = 0;
  for (const f of faults) {
    const from = f.heal + withinMs;
    const duals = runs.flatMap((a) =>
      runs
        .filter((b) => b.host > a.host)
        .map((b) => ({
          hosts: [a.host, b.host],
          lo: Math.max(a.from, b.from, from),
          hi: Math.min(a.to, b.to, f.end),
        }))
        .filter((d) => d.lo <= d.hi),
    );
    for (const m of duals.filter((x) => x.hi - x.lo <= moveMs))
      longestMoveMs = Math.max(longestMoveMs, m.hi - m.lo);
    const d = duals.filter((x) => x.hi - x.lo > moveMs).sort((x, y) => x.lo - y.lo)[0];
    if (d)
      out.push({
        invariant: 'single-holder',
        at: d.lo,
        fault: f.index,
        detail: `fault #${f.index} ${f.cls} ${f.target}: ${d.hosts.join(' and ')} both hold the VIP ${d.lo - f.heal} ms after the heal (seen for ${d.hi - d.lo} ms)`,
      });
  }
  return { violations: out, longestMoveMs };
}

/** The longest stretch of consecutive failed probes: first failure to the next success (ms). */
export function longestFailedRun(samples: readonly ProbeSample[]): {
  ms: number;
  failed: number;
  recovered: boolean;
} {
  const s = [...samples].sort((a, b) => a.t - b.t);
  let best = { ms: 0, failed: 0, recovered: true };
  for (let i = 0; i < s.length; i++) {
    if (s[i].ok || (i > 0 && !s[i - 1].ok)) continue;
    let j = i;
    while (j < s.length && !s[j].ok) j++;
    const recovered = j < s.length;
    const ms = (recovered ? s[j].t : s[j - 1].t) - s[i].t;
    if (ms > best.ms || !recovered) best = { ms, failed: j - i, recovered };
    i = j;
  }
  return best;
}

export interface Outage {
  fault: FaultRecord;
  ms: number;
  failed: number;
  /** probe attempts in the window (0: the measurement observed nothing) */
  probes: number;
  boundMs: number;
}

/** Each fault's client outage over its window, measured as its class says, against its bound. */
export function outages(
  probes: readonly ProbeSample[],
  faults: readonly FaultRecord[],
  measureOf: (c: FaultClass) => OutageMeasure,
  boundMsOf: (c: FaultClass) => number,
): { outages: Outage[]; violations: Violation[] } {
  const res: Outage[] = [];
  const violations: Violation[] = [];
  for (const f of faults) {
    const w = probes.filter((p) => p.t >= f.start && p.t < f.end);
    const boundMs = boundMsOf(f.cls);
    const name = `fault #${f.index} ${f.cls} ${f.target}`;
    if (!w.length) {
      violations.push({
        invariant: 'outage',
        at: f.start,
        fault: f.index,
        detail: `${name}: no probe samples`,
      });
      continue;
    }
    let ms: number;
    let failed: number;
    let recovered = true;
    if (measureOf(f.cls) === 'span') {
      const o = outageAfter(w, f.start, 1);
      recovered = o !== undefined;
      ms = o?.ms ?? f.end - f.start;
      failed = o?.failed ?? w.filter((p) => !p.ok).length;
    } else ({ ms, failed, recovered } = longestFailedRun(w));
    res.push({ fault: f, ms, failed, probes: w.length, boundMs });
    if (!recovered)
      violations.push({
        invariant: 'outage',
        at: f.start,
        fault: f.index,
        detail: `${name}: the client never recovered in the fault's window`,
      });
    else if (ms > boundMs)
      violations.push({
        invariant: 'outage',
        at: f.start,
        fault: f.index,
        detail: `${name}: client outage ${ms.toFixed(0)} ms (${failed} failed probes) > bound ${boundMs.toFixed(0)} ms`,
      });
  }
  return { outages: res, violations };
}

/** A daemon process's life as the runner saw it. */
export interface Lifetime {
  host: string;
  pid: number;
  start: number;
  /** when it was seen gone */
  end?: number;
  /** the runner killed it on purpose */
  killed: boolean;
}

export function unexpectedExits(lives: readonly Lifetime[]): Violation[] {
  return lives
    .filter((l) => l.end !== undefined && !l.killed)
    .map((l) => ({
      invariant: 'exit' as const,
      at: l.end!,
      detail: `${l.host}: daemon pid ${l.pid} exited without being killed (lived ${((l.end! - l.start) / 1000).toFixed(1)} s)`,
    }));
}

export interface ResourceSample {
  t: number;
  host: string;
  pid: number;
  rssKb: number;
  fds: number;
}

/**
 * Least-squares slope shared by several series, each with its own level
 * (fixed-effects regression): a daemon restarted by a kill starts a new
 * series, and what matters is whether each one grows. Units: y per x.
 */
export function pooledSlope(series: readonly { x: number; y: number }[][]): number | undefined {
  let sxy = 0;
  let sxx = 0;
  for (const s of series) {
    if (s.length < 2) continue;
    const mx = s.reduce((a, p) => a + p.x, 0) / s.length;
    const my = s.reduce((a, p) => a + p.y, 0) / s.length;
    for (const p of s) {
      sxy += (p.x - mx) * (p.y - my);
      sxx += (p.x - mx) ** 2;
    }
  }
  return sxx > 0 ? sxy / sxx : undefined;
}

export interface Flatness {
  host: string;
  /** MB per hour and open fds per hour; undefined when too little was observed to judge */
  rssMbPerHour?: number;
  fdsPerHour?: number;
  /** minutes of samples after warm-up, summed over the daemon's lives */
  observedMin: number;
  samples: number;
}

export interface FlatnessLimits {
  /** the first samples of each life are start-up (heap and JIT growing), not a leak */
  warmupMs: number;
  /** judge only with at least this much observation */
  minObservedMs: number;
  /** the floor is the minimum of each stretch this long */
  bucketMs: number;
  rssMbPerHour: number;
  fdsPerHour: number;
}

export const FLAT: FlatnessLimits = {
  warmupMs: 60_000,
  minObservedMs: 5 * 60_000,
  bucketMs: 60_000,
  // 1 MB a minute would exhaust a director in days; a JS heap's sawtooth stays well inside
  rssMbPerHour: 60,
  fdsPerHour: 6,
};

/** The lowest sample of each `bucketMs` stretch of a series, as points (hours, y). */
function bucketMinima(
  s: readonly ResourceSample[],
  bucketMs: number,
  y: (s: ResourceSample) => number,
): { x: number; y: number }[] {
  const best = new Map<number, ResourceSample>();
  // only whole stretches: the minimum of a short one is no floor
  const whole = s.length ? Math.floor((s[s.length - 1].t - s[0].t) / bucketMs) : 0;
  for (const p of s) {
    const k = Math.floor((p.t - s[0].t) / bucketMs);
    if (k >= whole) break;
    const b = best.get(k);
    if (!b || y(p) < y(b)) best.set(k, p);
  }
  return [...best.values()].map((p) => ({ x: p.t / 3_600_000, y: y(p) }));
}

/**
 * RSS and open fds per director: the floor of each daemon life after warm-up
 * (the minimum of each minute), its slope pooled over the lives.
 */
export function resourceSlopes(
  samples: readonly ResourceSample[],
  limits: FlatnessLimits = FLAT,
): { slopes: Flatness[]; violations: Violation[] } {
  const byHost = new Map<string, Map<number, ResourceSample[]>>();
  for (const s of samples) {
    const h = byHost.get(s.host) ?? new Map<number, ResourceSample[]>();
    byHost.set(s.host, h);
    h.set(s.pid, [...(h.get(s.pid) ?? []), s]);
  }
  const slopes: Flatness[] = [];
  const violations: Violation[] = [];
  for (const [host, lives] of [...byHost].sort(([a], [b]) => a.localeCompare(b))) {
    const series = [...lives.values()].map((l) => {
      const sorted = [...l].sort((a, b) => a.t - b.t);
      return sorted.filter((s) => s.t - sorted[0].t >= limits.warmupMs);
    });
    const observed = series.reduce((a, s) => a + (s.length ? s[s.length - 1].t - s[0].t : 0), 0);
    const n = series.reduce((a, s) => a + s.length, 0);
    const f: Flatness = { host, observedMin: observed / 60_000, samples: n };
    if (observed >= limits.minObservedMs) {
      // the JS heap is a sawtooth (it grows until a collection): a leak raises its floor
      const floors = (y: (s: ResourceSample) => number) =>
        series.map((s) => bucketMinima(s, limits.bucketMs, y));
      f.rssMbPerHour = pooledSlope(floors((p) => p.rssKb / 1024));
      f.fdsPerHour = pooledSlope(floors((p) => p.fds));
      const last = samples.reduce((a, s) => Math.max(a, s.t), 0);
      if ((f.rssMbPerHour ?? 0) > limits.rssMbPerHour)
        violations.push({
          invariant: 'resources',
          at: last,
          detail: `${host}: RSS grows ${f.rssMbPerHour!.toFixed(1)} MB/h (limit ${limits.rssMbPerHour})`,
        });
      if ((f.fdsPerHour ?? 0) > limits.fdsPerHour)
        violations.push({
          invariant: 'resources',
          at: last,
          detail: `${host}: open fds grow ${f.fdsPerHour!.toFixed(1)}/h (limit ${limits.fdsPerHour})`,
        });
    }
    slopes.push(f);
  }
  return { slopes, violations };
}

/** One event line as received from `keepalive-ts events --follow`, tagged with the daemon it came from. */
export interface EventSample {
  host: string;
  pid: number;
  seq: number;
  wallTime: number;
}

/**
 * The event stream is complete and in order: per daemon life, in the order
 * received, seq runs 1, 2, 3, ... with nothing skipped, repeated or swapped,
 * and wallTime never goes back.
 */
export function eventOrder(events: readonly EventSample[]): Violation[] {
  const next = new Map<string, { seq: number; wall: number }>();
  const out: Violation[] = [];
  for (const e of events) {
    const key = `${e.host} pid ${e.pid}`;
    const want = next.get(key) ?? { seq: 1, wall: 0 };
    if (e.seq !== want.seq)
      out.push({
        invariant: 'events',
        at: e.wallTime,
        detail: `${key}: event seq ${e.seq} where ${want.seq} was due`,
      });
    else if (e.wallTime < want.wall)
      out.push({
        invariant: 'events',
        at: e.wallTime,
        detail: `${key}: event seq ${e.seq} is earlier (${e.wallTime}) than the one before (${want.wall})`,
      });
    next.set(key, { seq: e.seq + 1, wall: Math.max(want.wall, e.wallTime) });
  }
  return out;
}
