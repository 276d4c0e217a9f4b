import type { RcvBuf } from '../net/native';

// What the dataplane should look like: virtual services and their live
// destinations. Both backends (IPVS, nftables) converge to this.

export type Method = 'NAT' | 'DR' | 'TUN';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** TUN forwarding's encapsulation (keepalived `lvs_method TUN type T [port P] [nocsum|csum|remcsum]`) */
export interface Tunnel {
  type: 'ipip' | 'gue' | 'gre';
  /** GUE only: the UDP port of the real server's decapsulation */
  port?: number;
  /** GUE and GRE: checksums in the encapsulation (default nocsum) */
  csum?: 'nocsum' | 'csum' | 'remcsum';
}

export interface Destination {
  address: string;
  port: number;
  /** 0 = no new connections (inhibit_on_failure) */
  weight: number;
  method: Method;
  /** IPVS connection thresholds (uthreshold / lthreshold); 0 or absent = none */
  uThresh?: number;
  lThresh?: number;
  /**
   * the weight of a server kept at weight 0 (inhibit_on_failure) when it is in
   * service: hash tables that keep such a server's share (sh, mh) size it by this
   */
  baseWeight?: number;
  /** TUN only: the encapsulation (absent = ipip) */
  tun?: Tunnel;
}

/** Addresses first..last (one family), all on one port (0: any port). */
export interface AddressRange {
  first: string;
  last: string;
  port: number;
}

export interface Service {
  /** stable name, e.g. "TCP 198.51.100.10:80" or "FWM 7" */
  id: string;
  protocol: Protocol;
  address?: string;
  port: number;
  fwmark?: number;
  /** a fwmark service's address family (ip_family; default IPv4); an address service's is its address's */
  family?: 4 | 6;
  scheduler: string;
  method: Method;
  /** seconds; 0 = none */
  persistence: number;
  /** persistence_granularity: clients in one netmask share a real server (default 255.255.255.255) */
  persistenceNetmask?: string;
  destinations: Destination[];
  /**
   * real servers configured (in service or not): a consistent-hash table sized
   * for all of them keeps its size when servers fail and come back, so such a
   * change only moves table slots
   */
  capacity?: number;
  /** one-packet scheduling (keepalived `ops`): every packet scheduled on its own */
  onePacket?: boolean;
  /** IP_VS_SVC_F_SCHED1..3 bits (flag-1..3; sh/mh: 1 = fallback, 2 = port) */
  schedFlags?: number;
  /** IPVS persistence engine (`sip`), with persistence only */
  persistenceEngine?: string;
  /**
   * global_defs nftables_ipvs: a fwmark service standing for these address
   * ranges of a virtual_server_group; the marks are set in an nftables input
   * chain of table `table` at `priority` (IPVS), or the ranges are matched
   * directly (the nftables backend)
   */
  marked?: { table: string; priority: number; ranges: AddressRange[] };
  /** nftables: the interface client packets arrive on (the VIP's interface) */
  ingress?: string;
  /** nftables: the interface toward the real servers */
  egress?: string;
}

export interface Dataplane {
  readonly name: 'ipvs' | 'nftables';
  /** applies and reconciles that failed since start */
  readonly errors: number;
  /** converge to exactly these services (atomically where the backend can) */
  apply(services: Service[]): Promise<void>;
  /** re-apply if something outside changed what we programmed; true when it had to */
  reconcile(): Promise<boolean>;
  /** hear outside changes as they happen, where the kernel reports them (not our own applies) */
  watchChanges?(onChange: () => void): { close(): void };
  /** how often to reconcile anyway: slow where changes are heard, faster where they cannot be */
  readonly safetyNetMs: number;
  /** remove everything this daemon created */
  clear(): Promise<void>;
  /** remove every service, ours or not (lvs_flush at start, lvs_flush_on_stop at stop) */
  flushAll?(): Promise<void>;
  /**
   * lvs_netlink_cmd_rcv_bufs / lvs_netlink_monitor_rcv_bufs: receive buffers
   * of the backend's netlink request and event sockets (now and when opened);
   * `warn` hears a refused SO_RCVBUFFORCE
   */
  tune?(bufs: { cmd?: RcvBuf; monitor?: RcvBuf }, warn: (msg: string) => void): void;
  /** lvs_timeouts: connection timeouts in seconds (unset = unchanged); throws where it cannot */
  setTimeouts?(t: { tcp?: number; tcpfin?: number; udp?: number }): Promise<void>;
}

export function serviceId(
  protocol: string,
  address: string | undefined,
  port: number,
  fwmark?: number,
): string {
  return fwmark !== undefined ? `FWM ${fwmark}` : `${protocol} ${address}:${port}`;
}
