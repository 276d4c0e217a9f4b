// The BFD control packet (RFC 5880 4.1), without authentication: keepalived
// 2.2.7 supports none (it sends A=0 and drops packets with A set), so neither
// do we. Pure: bytes in, fields out, and the reception checks of RFC 5880
// 6.8.6 that need no session.

export const BFD_VERSION = 1;
/** mandatory section length, no authentication */
export const BFD_HEADER_LEN = 24;
/** RFC 5881: single-hop control packets go to UDP 3784 (keepalived uses only this port) */
export const BFD_PORT = 3784;

export enum BfdState {
  AdminDown = 0,
  Down = 1,
  Init = 2,
  Up = 3,
}

export const STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const;

/** Diagnostic codes (RFC 5880 4.1); valid ones are 0..8. */
export enum BfdDiag {
  None = 0,
  DetectionExpired = 1,
  EchoFailed = 2,
  NeighborDown = 3,
  ForwardingReset = 4,
  PathDown = 5,
  ConcatPathDown = 6,
  AdminDown = 7,
  ReverseConcatPathDown = 8,
}

export interface BfdPacket {
  version: number;
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  cpi: boolean;
  auth: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  length: number;
  myDiscr: number;
  yourDiscr: number;
  /** microseconds, as on the wire */
  desiredMinTx: number;
  requiredMinRx: number;
  requiredMinEchoRx: number;
}

export type OutgoingPacket = Pick<
  BfdPacket,
  | 'diag'
  | 'state'
  | 'poll'
  | 'final'
  | 'detectMult'
  | 'myDiscr'
  | 'yourDiscr'
  | 'desiredMinTx'
  | 'requiredMinRx'
>;

/** Encode a control packet (version 1, no auth, no demand, no echo), 24 bytes. */
export function encodeBfd(p: OutgoingPacket): Buffer {
  const b = Buffer.alloc(BFD_HEADER_LEN);
  b[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  b[1] = ((p.state & 3) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0);
  b[2] = p.detectMult;
  b[3] = BFD_HEADER_LEN;
  b.writeUInt32BE(p.myDiscr >>> 0, 4);
  b.writeUInt32BE(p.yourDiscr >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTx >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRx >>> 0, 16);
  b.writeUInt32BE(0, 20);
  return b;
}

/** Decode without judging (undefined only when too short to hold the fields). */
export function decodeBfd(b: Uint8Array): BfdPacket | undefined {
  if (b.length < BFD_HEADER_LEN) return undefined;
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    version: v[0] >> 5,
    diag: v[0] & 0x1f,
    state: (v[1] >> 6) as BfdState,
    poll: !!(v[1] & 0x20),
    final: !!(v[1] & 0x10),
    cpi: !!(v[1] & 0x08),
    auth: !!(v[1] & 0x04),
    demand: !!(v[1] & 0x02),
    multipoint: !!(v[1] & 0x01),
    detectMult: v[2],
    length: v[3],
    myDiscr: v.readUInt32BE(4),
    yourDiscr: v.readUInt32BE(8),
    desiredMinTx: v.readUInt32BE(12),
    requiredMinRx: v.readUInt32BE(16),
    requiredMinEchoRx: v.readUInt32BE(20),
  };
}

/**
 * The session-independent checks of RFC 5880 6.8.6 (plus keepalived's: P and F
 * together, an unknown diagnostic). Returns why the packet is discarded, or
 * undefined when it may go on to session selection. `received` is the UDP
 * payload length.
 */
export function checkBfd(p: BfdPacket, received: number): string | undefined {
  if (p.version !== BFD_VERSION) return `version ${p.version}`;
  if (p.length < (p.auth ? 26 : BFD_HEADER_LEN)) return `length field ${p.length} too small`;
  if (p.length > received) return `length field ${p.length} beyond the ${received} bytes received`;
  if (p.length !== received) return `length field ${p.length} but ${received} bytes received`;
  if (p.detectMult === 0) return 'detect multiplier 0';
  if (p.multipoint) return 'multipoint bit set';
  if (p.myDiscr === 0) return 'my discriminator 0';
  if (p.yourDiscr === 0 && p.state !== BfdState.Down && p.state !== BfdState.AdminDown)
    return `your discriminator 0 in state ${STATE_NAMES[p.state]}`;
  if (p.poll && p.final) return 'poll and final both set';
  if (p.diag > BfdDiag.ReverseConcatPathDown) return `diagnostic ${p.diag} unknown`;
  return undefined;
}
