// Active-active timing rules, defined once: the rendered BIRD configs and
// (later) the verifier's bounds both call these.

/** BFD declares a silent peer down after `multiplier` missed packets (RFC 5880 6.8.4; same settings both ends). */
export const bfdDetectMs = (bfd: { intervalMs: number; multiplier: number }): number =>
  bfd.intervalMs * bfd.multiplier;

/**
 * The longest a router may go on sending to a dead director: BFD's detection
 * time when BFD runs, else the BGP hold time (RFC 4271 6.5).
 */
export function routerDropBoundMs(bgp: {
  holdTime: number;
  bfd: { enabled: boolean; intervalMs: number; multiplier: number };
}): number {
  return bgp.bfd.enabled ? bfdDetectMs(bgp.bfd) : bgp.holdTime * 1000;
}

/**
 * BIRD's error wait after a session failure, [min, max] seconds: BIRD's own
 * default (60, 300) would keep a restarted or added director out for a minute.
 */
export const errorWaitSeconds = (retrySeconds: number): [number, number] => [
  retrySeconds,
  Math.max(retrySeconds, 6 * retrySeconds),
];
