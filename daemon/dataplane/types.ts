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
  /** TUN only: the encapsulation (absent = ipip) */
  tun?: Tunnel;
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
