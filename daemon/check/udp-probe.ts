// UDP_CHECK (keepalived 2.2.7 check_udp.c, core/layer4.c): a connected UDP
// socket sends the payload (default: 32 bytes of "keepalived check - "
// repeated). An ICMP destination unreachable (the kernel reports it on the
// connected socket as ECONNREFUSED / EHOSTUNREACH ...) fails the check; no
// answer within connect_timeout passes, unless require_reply is set; a reply
// passes when its length is within min/max_reply_length and its first octets
// match require_reply's (X nibbles match anything).
import type { HexBytes } from '../config/keywords/udp';
import { ProbeDatagram, type ProbeSocketOptions } from '../net/probe-socket';
import type { ProbeResult } from './status';

export interface UdpTarget {
  host: string;
  port: number;
  timeoutMs: number;
  payload?: HexBytes;
  /** true: any reply; bytes: the reply must start with them */
  requireReply?: HexBytes | true;
  minReplyLength: number;
  maxReplyLength: number;
  /** bindto, bind_port, bind_if, fwmark */
  socket?: ProbeSocketOptions;
}

/** keepalived's set_buf(): the default payload */
export function defaultPayload(len = 32): Buffer {
  const s = 'keepalived check - ';
  return Buffer.from(s.repeat(Math.ceil(len / s.length)).slice(0, len), 'latin1');
}

/** keepalived's check_udp_reply(), true when the reply passes */
export function udpReplyOk(
  reply: Uint8Array,
  t: Pick<UdpTarget, 'requireReply' | 'minReplyLength' | 'maxReplyLength'>,
): boolean {
  if (reply.length < t.minReplyLength || reply.length > t.maxReplyLength) return false;
  if (!t.requireReply || t.requireReply === true) return true;
  const { data, mask } = t.requireReply;
  const n = Math.min(data.length, reply.length);
  for (let i = 0; i < n; i++) if ((reply[i] ^ data[i]) & ~(mask?.[i] ?? 0) & 0xff) return false;
  return true;
}

/**
 * One datagram exchange through a connected probe socket: send `payload`,
 * then `judge` each datagram that comes back (undefined: not the answer, keep
 * waiting) until timeoutMs, which gives `onTimeout`. An ICMP error reported
 * on the socket fails it. UDP_CHECK and DNS_CHECK.
 */
export function datagramExchange(
  host: string,
  port: number,
  socket: ProbeSocketOptions,
  payload: Buffer,
  timeoutMs: number,
  judge: (reply: Buffer) => ProbeResult | undefined,
  onTimeout: ProbeResult,
): Promise<ProbeResult> {
  let s: ProbeDatagram;
  try {
    s = new ProbeDatagram(host, port, socket);
  } catch (e) {
    return Promise.resolve({ ok: false, reason: (e as Error).message });
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.close();
      resolve(r);
    };
    const timer = setTimeout(() => done(onTimeout), timeoutMs);
    s.listen(
      (m) => {
        const r = judge(m);
        if (r) done(r);
      },
      (e) => done({ ok: false, reason: e.message }),
    );
    try {
      s.send(payload);
    } catch (e) {
      done({ ok: false, reason: (e as Error).message });
    }
  });
}

export function udpProbe(t: UdpTarget): Promise<ProbeResult> {
  return datagramExchange(
    t.host,
    t.port,
    t.socket ?? {},
    t.payload ? Buffer.from(t.payload.data) : defaultPayload(),
    t.timeoutMs,
    (m) =>
      !t.requireReply || udpReplyOk(m, t)
        ? { ok: true }
        : { ok: false, reason: 'reply data mismatch' },
    t.requireReply ? { ok: false, reason: `no reply within ${t.timeoutMs} ms` } : { ok: true },
  );
}
