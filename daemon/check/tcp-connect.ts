// TCP_CHECK's connect, done with the socket calls themselves: a non-blocking
// connect, one readiness callback, the socket's error, close. A net.Socket
// costs a stream, a timer and several objects per check; at thousands of
// checks a second that is most of the checker's CPU. IPv6 goes through
// net.connect (the native helpers build IPv4 socket addresses).
import { constants } from 'node:os';
import { familyOf } from '../core/address';
import { AF_INET, native, SOCK_STREAM, sockaddrIn } from '../net/native';

export interface ConnectResult {
  ok: boolean;
  reason?: string;
}

const errnoName = (e: number) =>
  Object.entries(constants.errno).find(([, v]) => v === e)?.[0] ?? `errno ${e}`;

/** undefined when this connect is not for the native path (IPv6) */
export function nativeConnect(
  host: string,
  port: number,
  timeoutMs: number,
  bindto?: string,
): Promise<ConnectResult> | undefined {
  if (familyOf(host) !== 4 || (bindto && familyOf(bindto) !== 4)) return undefined;
  const n = native();
  let fd: number;
  try {
    fd = n.socket(AF_INET, SOCK_STREAM, 0);
  } catch (e) {
    return Promise.resolve({ ok: false, reason: (e as Error).message });
  }
  const fail = (reason: string) => {
    n.close(fd);
    return Promise.resolve({ ok: false, reason });
  };
  try {
    if (bindto) n.bind(fd, sockaddrIn(bindto));
  } catch (e) {
    return fail((e as Error).message);
  }
  const r = n.connect(fd, sockaddrIn(host, port));
  if (r === 0) {
    n.close(fd);
    return Promise.resolve({ ok: true });
  }
  if (r < 0) return fail(`connect ${errnoName(-r)} ${host}:${port}`);
  return new Promise((resolve) => {
    let settled = false;
    const done = (res: ConnectResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      n.unwatch(watch);
      n.close(fd);
      resolve(res);
    };
    const watch = n.watch(
      fd,
      () => {
        const e = n.soError(fd);
        done(
          e === 0 ? { ok: true } : { ok: false, reason: `connect ${errnoName(e)} ${host}:${port}` },
        );
      },
      true,
    );
    const timer = setTimeout(
      () => done({ ok: false, reason: `timeout after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}
