// Host clocks: every timing is taken on the host where the event happens
// (the stop on the master, the VIP's arrival on the backup, a probe on the
// client) and brought onto the verifier's clock with that host's offset. The
// offset is estimated from SSH round trips as NTP does: of several samples
// the one with the smallest round trip bounds the error best (half of it).
// Pure: the samples are taken by the caller.

/** One exchange: the verifier's time before sending, the host's time, the verifier's time on receipt (ms). */
export interface ClockSample {
  sent: number;
  remote: number;
  received: number;
}

export interface HostClock {
  /** host clock minus verifier clock, ms */
  offsetMs: number;
  /** the true offset lies within offsetMs ± uncertaintyMs */
  uncertaintyMs: number;
  /** round trip of the sample used */
  rttMs: number;
}

/** The verifier's own clock: offset 0, exact. */
export const LOCAL: HostClock = { offsetMs: 0, uncertaintyMs: 0, rttMs: 0 };

export function estimateOffset(samples: readonly ClockSample[]): HostClock {
  if (!samples.length) throw new Error('no clock samples');
  const best = [...samples].sort((a, b) => a.received - a.sent - (b.received - b.sent))[0];
  const rtt = best.received - best.sent;
  return {
    offsetMs: best.remote - (best.sent + best.received) / 2,
    uncertaintyMs: rtt / 2,
    rttMs: rtt,
  };
}

/** A host's timestamp (ms) on the verifier's clock. */
export const toLocal = (c: HostClock, remoteMs: number) => remoteMs - c.offsetMs;

/** `date +%s%N` output (ns since the epoch) as ms; undefined when it is not one. */
export function parseEpochNs(text: string): number | undefined {
  const m = /^\s*(\d{9,20})\s*$/m.exec(text);
  if (!m) return undefined;
  const ns = BigInt(m[1]);
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** The shell command that prints the host's clock (ns). */
export const DATE_NS = 'date +%s%N';

/**
 * `TZ=UTC ip -ts monitor` line: "[2026-12-02T04:53:52.612931] rest" ->
 * the host's time (ms since the epoch) and the rest.
 */
export function parseIpTimestamp(line: string): { t: number; rest: string } | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\]\s?(.*)$/.exec(line);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(whole)) return undefined;
  return { t: whole + (m[2] ? Number(m[2]) * 1000 : 0), rest: m[3] };
}
