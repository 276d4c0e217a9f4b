// systemd's notify protocol (sd_notify): READY/RELOADING/WATCHDOG datagrams
// to $NOTIFY_SOCKET. Node has no unix datagram sockets; the native layer does.
import { native } from '../net/native';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;

/** struct sockaddr_un; a leading '@' is Linux's abstract namespace */
export function sockaddrUn(path: string): Buffer {
  const p = Buffer.from(path.startsWith('@') ? '\0' + path.slice(1) : path);
  const b = Buffer.alloc(2 + p.length + (path.startsWith('@') ? 0 : 1));
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, 2);
  return b;
}

/** Send one notification; false when not run by systemd (no NOTIFY_SOCKET). */
export function sdNotify(state: string, socketPath = process.env.NOTIFY_SOCKET): boolean {
  if (!socketPath) return false;
  const n = native();
  const fd = n.socket(AF_UNIX, SOCK_DGRAM, 0);
  try {
    n.sendto(fd, Buffer.from(state), sockaddrUn(socketPath));
    return true;
  } catch {
    return false;
  } finally {
    n.close(fd);
  }
}

/** Watchdog interval (half of WATCHDOG_USEC, as systemd recommends), or undefined when not asked for. */
export function watchdogIntervalMs(env = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!usec) return undefined;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return Math.max(100, Math.floor(usec / 2000));
}
