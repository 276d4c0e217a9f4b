// The control socket's protocol, pure: one JSON request line per connection,
// bounded in size, checked in shape before anyone acts on it.
import { MAX_REASON } from '../bgp/drain';

export interface ControlLimits {
  /** bytes of the request line (a status request is ~20 bytes) */
  maxLineBytes: number;
  /** connected clients at once, `events --follow` streams included */
  maxClients: number;
  /** a client must send its whole request line within this time */
  requestTimeoutMs: number;
  /** answer bytes queued to a client that does not read before it is dropped */
  maxQueuedBytes: number;
}

export const CONTROL_LIMITS: ControlLimits = {
  maxLineBytes: 64 * 1024,
  maxClients: 64,
  requestTimeoutMs: 5000,
  maxQueuedBytes: 4 * 1024 * 1024,
};

export interface ControlRequest {
  cmd: string;
  follow?: boolean;
  since?: number;
  /** `drain --reason TEXT` */
  reason?: string;
}

/** the longest `drain --reason` taken (the drain file keeps as much) */
const MAX_REASON_CHARS = MAX_REASON;

export type Framed = { line: string } | { more: true } | { error: string };

/** Collects a client's bytes until the first newline; more than `max` bytes without one is an error. */
export class RequestLine {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}

  push(chunk: Buffer): Framed {
    const nl = chunk.indexOf(0x0a);
    const take = nl < 0 ? chunk.length : nl;
    if (this.size + take > this.max) return { error: `request line longer than ${this.max} bytes` };
    this.chunks.push(nl < 0 ? chunk : chunk.subarray(0, nl));
    this.size += take;
    if (nl < 0) return { more: true };
    // bytes that are not UTF-8 become U+FFFD and then fail JSON or the shape check
    return { line: Buffer.concat(this.chunks).toString('utf8') };
  }
}

/** A request line as JSON of the expected shape, or the reason it is not. */
export function parseRequest(line: string): ControlRequest | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: 'bad request: not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { error: 'bad request: not a JSON object' };
  const r = v as Record<string, unknown>;
  if (typeof r.cmd !== 'string') return { error: 'bad request: "cmd" must be a string' };
  if (r.follow !== undefined && typeof r.follow !== 'boolean')
    return { error: 'bad request: "follow" must be true or false' };
  if (r.since !== undefined && !(Number.isInteger(r.since) && (r.since as number) >= 0))
    return { error: 'bad request: "since" must be a sequence number' };
  if (
    r.reason !== undefined &&
    (typeof r.reason !== 'string' ||
      r.reason.length > MAX_REASON_CHARS ||
      [...r.reason].some((c) => c < ' '))
  )
    return {
      error: `bad request: "reason" must be one line of at most ${MAX_REASON_CHARS} characters`,
    };
  return {
    cmd: r.cmd,
    ...(r.follow !== undefined ? { follow: r.follow } : {}),
    ...(r.since !== undefined ? { since: r.since as number } : {}),
    ...(r.reason !== undefined ? { reason: r.reason as string } : {}),
  };
}
