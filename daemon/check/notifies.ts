// What a real server or virtual server tells when its state changes
// (keepalived 2.2.7 check/ipwrapper.c do_rs_notifies / do_vs_notifies): its
// notify_up|notify_down or quorum_up|quorum_down script, and one line on the
// notify FIFOs (notify_fifo and lvs_notify_fifo) in keepalived's format:
//
//   RS [10.0.0.1]:tcp:80 [198.51.100.10]:tcp:80 UP
//   VS [198.51.100.10]:tcp:80 DOWN        (VS FWM 5 ..., VS [GROUPNAME]:0 ...)
//
// At shutdown, and for a virtual server a reload removes, only a virtual
// server with `omega` tells: its real servers still up go DOWN and its quorum
// goes down (keepalived's clear_service_vs with stopping).
import type { RealServer, ScriptRef, VirtualServer } from '../config/model';
import { splitArgv } from '../core/argv';

const PROTO: Record<string, string> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

/** keepalived's inet_sockaddrtotrio: `[ADDR]:proto:PORT` */
const trio = (address: string, protocol: string | undefined, port: number) =>
  `[${address}]:${PROTO[protocol ?? 'TCP'] ?? '?'}:${port}`;

/** keepalived's FMT_VS */
export function vsFifoName(vs: VirtualServer): string {
  const k = vs.key;
  if (k.kind === 'group') return `[${k.group}]:0`;
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  return trio(k.address, vs.protocol, k.port);
}

/** keepalived's FMT_RS: the real server's address with the virtual server's protocol */
export function rsFifoName(rs: Pick<RealServer, 'address' | 'port'>, vs: VirtualServer): string {
  return trio(rs.address, vs.protocol, rs.port);
}

export function rsFifoLine(rs: RealServer, vs: VirtualServer, up: boolean): string {
  return `RS ${rsFifoName(rs, vs)} ${vsFifoName(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

export function vsFifoLine(vs: VirtualServer, up: boolean): string {
  return `VS ${vsFifoName(vs)} ${up ? 'UP' : 'DOWN'}\n`;
}

export interface NotifyDeps {
  runScript: (
    argv: string[],
    timeoutMs: number,
    user?: { user: string; group?: string },
  ) => Promise<number>;
  /** a line for notify_fifo and lvs_notify_fifo */
  fifo?: (line: string) => void;
}

/** keepalived runs the notify scripts at shutdown with a one-second limit */
const STOP_TIMEOUT_MS = 1000;
const TIMEOUT_MS = 30_000;

export class CheckNotifier {
  constructor(private readonly deps: NotifyDeps) {}

  private script(s: ScriptRef | undefined, stopping: boolean) {
    if (!s) return Promise.resolve(0);
    return this.deps.runScript(
      splitArgv(s.cmd),
      stopping ? STOP_TIMEOUT_MS : TIMEOUT_MS,
      s.user ? { user: s.user, ...(s.group ? { group: s.group } : {}) } : undefined,
    );
  }

  /** do_rs_notifies */
  rs(vs: VirtualServer, rs: RealServer, up: boolean, stopping = false): Promise<number> {
    const done = this.script(up ? rs.notify_up : rs.notify_down, stopping);
    this.deps.fifo?.(rsFifoLine(rs, vs, up));
    return done;
  }

  /** do_vs_notifies: at shutdown only with omega */
  vs(vs: VirtualServer, up: boolean, stopping = false): Promise<number> {
    if (stopping && !vs.omega) return Promise.resolve(0);
    const done = this.script(up ? vs.quorum_up : vs.quorum_down, stopping);
    this.deps.fifo?.(vsFifoLine(vs, up));
    return done;
  }

  /**
   * A virtual server going away (keepalived's clear_service_vs). At shutdown
   * (`stopping`) only with omega: DOWN for each real server still up (not
   * when lvs_flush_on_stop flushed them), then its quorum DOWN. Removed by a
   * reload: the same, omega or not, the quorum only when it was up.
   */
  vsGone(
    vs: VirtualServer,
    upServers: RealServer[],
    o: { stopping: boolean; quorumUp: boolean; flushed?: boolean },
  ): Promise<unknown> {
    if (o.stopping && !vs.omega) return Promise.resolve();
    const done = o.flushed ? [] : upServers.map((rs) => this.rs(vs, rs, false, o.stopping));
    if (o.stopping || o.quorumUp) done.push(this.vs(vs, false, o.stopping));
    return Promise.all(done);
  }
}
