// ICMP echo (pure): the request the reference-IP guard sends and the check
// that a received packet is its reply. No fork per probe (no `ping`).
import { finishChecksum, onesSum } from '../core/checksum';

export function echoRequest(id: number, seq: number, payload = new Uint8Array(8)): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  b[0] = 8; // echo request
  b[1] = 0;
  b[4] = id >> 8;
  b[5] = id & 0xff;
  b[6] = seq >> 8;
  b[7] = seq & 0xff;
  b.set(payload, 8);
  const ck = finishChecksum(onesSum(b));
  b[2] = ck >> 8;
  b[3] = ck & 0xff;
  return b;
}

/** From a raw-socket packet (IPv4 header included): the echo reply's source, id and seq. */
export function parseEchoReply(
  packet: Uint8Array,
): { src: string; id: number; seq: number } | undefined {
  if (packet.length < 28 || packet[0] >> 4 !== 4) return undefined;
  const hl = (packet[0] & 0x0f) * 4;
  if (packet[9] !== 1 || packet.length < hl + 8) return undefined;
  const icmp = packet.subarray(hl);
  if (icmp[0] !== 0 || icmp[1] !== 0) return undefined;
  if (finishChecksum(onesSum(icmp)) !== 0) return undefined;
  return {
    src: `${packet[12]}.${packet[13]}.${packet[14]}.${packet[15]}`,
    id: (icmp[4] << 8) | icmp[5],
    seq: (icmp[6] << 8) | icmp[7],
  };
}
