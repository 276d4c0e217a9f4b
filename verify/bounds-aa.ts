// What an active-active declaration promises, in seconds: the bounds of the
// active-active verification (kill one director, drain one, add one). Pure;
// the router's part comes from the daemon's own timing rules
// (daemon/bgp/timing.ts), so the verifier judges by the rules BIRD is
// configured with.
import type { ClusterSpec } from '../components/spec';
import { errorWaitSeconds, routerDropBoundMs } from '../daemon/bgp/timing';
import { SLACK } from './bounds';

/** Allowances the protocols do not define. */
export const SLACK_AA = {
  /** BIRD changes the router's kernel route within this of its decision (kernel protocol sync) */
  route: 0.25,
  /** keepalive-ts's reconcile round after a change (drain, undrain, a verdict): BIRD toggled within */
  round: 1,
  /** a director's announcement or withdrawal (a BGP UPDATE) reaches the router's kernel within this */
  propagate: 0.5,
};

export interface AaBounds {
  /** a dead director leaves the router's VIP route within (BFD detection, else the hold time) */
  routerDrop: number;
  /** client-visible outage of new flows when a director dies */
  killOutage: number;
  /** a drained director's route is withdrawn within (from the drain command) */
  drainWithdraw: number;
  /** an undrained (added) director announces again within (announce_after + a round) */
  addAnnounce: number;
  /** drain and add are planned: no new connection may fail (0 s of outage) */
  planned: number;
  /** a killed director that is up again is back in the router's route within */
  killReturn: number;
  basis: Record<string, number>;
}

export function deriveAaBounds(c: ClusterSpec): AaBounds {
  if (c.mode !== 'active-active' || !c.bgp)
    throw new Error('active-active verification: the declaration has no mode: active-active + bgp');
  const bgp = c.bgp;
  const dropMs = routerDropBoundMs(bgp);
  const routerDrop = dropMs / 1000 + SLACK_AA.route;
  const [, errorWaitMax] = errorWaitSeconds(bgp.retrySeconds);
  return {
    routerDrop,
    killOutage: routerDrop + SLACK.client,
    drainWithdraw: SLACK_AA.round + SLACK_AA.route,
    addAnnounce: bgp.announceAfterSeconds + SLACK_AA.round + SLACK_AA.route,
    planned: 0,
    // both ends drop the session, wait their error wait, reconnect, then announce_after
    killReturn:
      errorWaitMax + bgp.retrySeconds + bgp.announceAfterSeconds + SLACK_AA.round + SLACK.start,
    basis: {
      routerDropBoundMs: dropMs,
      bfdEnabled: bgp.bfd.enabled ? 1 : 0,
      bfdIntervalMs: bgp.bfd.intervalMs,
      bfdMultiplier: bgp.bfd.multiplier,
      holdTime: bgp.holdTime,
      retrySeconds: bgp.retrySeconds,
      announceAfterSeconds: bgp.announceAfterSeconds,
    },
  };
}

/**
 * A director "killed" without touching its power: nftables drops every packet
 * it receives or sends except SSH (the verifier's own connection, and ARP for
 * it) ahead of the DR dataplane (netdev ingress, priority 0), so BGP, BFD and
 * forwarded flows stop as if the box died. The rule removes itself after
 * `seconds` (a timer on the director: the verifier may lose it), and
 * `AA_REVIVE` removes it at once.
 */
export const AA_KILL_TABLE = 'keepalive_verify_kill';
export const AA_REVIVE = `nft delete table netdev ${AA_KILL_TABLE} 2>/dev/null; nft delete table inet ${AA_KILL_TABLE} 2>/dev/null; true`;
export function aaKillCommand(iface: string, seconds: number): string {
  const t = AA_KILL_TABLE;
  const rules = [
    `add table netdev ${t}`,
    `add chain netdev ${t} in { type filter hook ingress device "${iface}" priority -500; }`,
    `add rule netdev ${t} in meta protocol arp accept`,
    `add rule netdev ${t} in tcp dport 22 accept`,
    `add rule netdev ${t} in tcp sport 22 accept`,
    `add rule netdev ${t} in drop`,
    `add table inet ${t}`,
    `add chain inet ${t} out { type filter hook output priority -500; }`,
    `add rule inet ${t} out tcp sport 22 accept`,
    `add rule inet ${t} out tcp dport 22 accept`,
    `add rule inet ${t} out drop`,
  ].join('\n');
  return (
    `printf '%s\\n' '${rules}' | nft -f - && ` +
    `{ setsid sh -c 'sleep ${Math.ceil(seconds)}; ${AA_REVIVE}' >/dev/null 2>&1 </dev/null & }`
  );
}
