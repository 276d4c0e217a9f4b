// TCP_CHECK's connect, done with the socket calls themselves (net/probe-socket.ts):
// a non-blocking connect, one readiness callback, the socket's error, close. A
// net.Socket costs a stream, a timer and several objects per check; at
// thousands of checks a second that is most of the checker's CPU. The
// checker's bindto, bind_port, bind_if and fwmark apply, both families.
import { connectStream, type ProbeSocketOptions } from '../net/probe-socket';
import { native } from '../net/native';
import type { ProbeResult } from './status';

export async function tcpConnect(
  host: string,
  port: number,
  timeoutMs: number,
  o: ProbeSocketOptions = {},
): Promise<ProbeResult> {
  const n = native();
  const r = await connectStream(host, port, o, timeoutMs, n);
  if (!r.ok) return { ok: false, reason: r.reason };
  n.close(r.fd);
  return { ok: true };
}
