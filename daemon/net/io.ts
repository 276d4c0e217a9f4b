// The small interfaces between the VRRP engine and the world. The engine is
// tested against fakes of these; linux.ts implements them with real sockets.

export interface Channel {
  /** send one VRRP message (the IP payload) to `dst`, or to all of the channel's destinations when empty */
  send(vrrp: Uint8Array, dst?: string): void;
  close(): void;
}

export interface ChannelOptions {
  ifname: string;
  /** multicast group (used when there are no unicast peers) */
  group: string;
  /** source address: unicast_src_ip, else the interface's primary address */
  src: string;
  unicastPeers: string[];
}

export interface Vip {
  address: string;
  prefix: number;
  dev: string;
  brd?: string;
  label?: string;
  scope?: string;
}

export interface NetIO {
  /** the interface's primary IPv4 address (first configured), if any */
  primaryIp(ifname: string): string | undefined;
  /** is the interface up (operstate up/unknown)? */
  linkUp(ifname: string): boolean;
  openChannel(o: ChannelOptions, onPacket: (packet: Uint8Array) => void): Channel;
  setVip(add: boolean, vip: Vip): void;
  garp(ifname: string, ip: string): void;
  /** ICMP echo to `address`: true when a reply arrives within timeoutMs */
  ping(address: string, timeoutMs: number): Promise<boolean>;
}

export interface Timer {
  cancel(): void;
}

/** Monotonic milliseconds and timers: injected so tests run on a fake clock. */
export interface Clock {
  now(): number;
  at(ms: number, fn: () => void): Timer;
}

export const realClock: Clock = {
  now: () => performance.now(),
  at(ms, fn) {
    // setTimeout counts whole milliseconds on the loop's cached clock and can fire a
    // fraction early; never run fn before the deadline.
    let t: NodeJS.Timeout;
    const arm = () => {
      const left = ms - performance.now();
      if (left <= 0) fn();
      else t = setTimeout(arm, Math.ceil(left));
    };
    t = setTimeout(arm, Math.max(0, Math.ceil(ms - performance.now())));
    return { cancel: () => clearTimeout(t) };
  },
};
