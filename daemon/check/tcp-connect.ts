// TCP_CHECK's connect, done with the socket calls themselves (net/probe-socket.ts):
// a non-blocking connect, one readiness callback, the socket's error, close. A
// net.Socket costs a stream, a timer and several objects per check; at
// thousands of checks a second that is most of the checker's CPU. The
// checker's bindto, bind_port, bind_if and fwmark apply, both families.
//
// With a bind_port the connection is closed with a reset: a FIN would leave
// the fixed source port in TIME_WAIT for a minute, and every check in that
// minute would fail to bind (measured; keepalived 2.2.7 closes with a FIN).
import { connectStream, type ProbeSocketOptions } from '../net/probe-socket';
import { native, SOL_SOCKET } from '../net/native';

const SO_LINGER = 13;
/** struct linger { l_onoff 1, l_linger 0 }: close() resets */
const RESET_ON_CLOSE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
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
  if (o.bindPort) n.setsockopt(r.fd, SOL_SOCKET, SO_LINGER, RESET_ON_CLOSE);
  n.close(r.fd);
  return { ok: true };
}
