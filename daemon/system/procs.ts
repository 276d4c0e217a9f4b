// The processes of this machine for vrrp_track_process: /proc for a scan and
// for one process's name, and the kernel's process events connector
// (keepalived's track_process.c) so that nothing polls while processes come
// and go.
import { readdirSync, readFileSync } from 'node:fs';
import { AF_NETLINK, native, type RcvBuf, setRcvBuf, sockaddrNl } from '../net/native';
import {
  CN_IDX_PROC,
  decodeProcEvents,
  listenRequest,
  NETLINK_CONNECTOR,
  type ProcConnEvent,
} from '../net/proc-connector';

const SOCK_DGRAM = 2;

export function procPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c > 48 && c <= 57) out.push(Number(d));
  }
  return out;
}

/** name (from /proc/PID/stat, zombies left out) and, when asked, the command line */
export function procInfo(
  pid: number,
  argv: boolean,
): { comm: string; argv?: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < 0 || stat[close + 2] === 'Z') return undefined;
    const comm = Buffer.from(stat.slice(open + 1, close), 'latin1').toString('utf8');
    if (!argv) return { comm };
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = raw.split('\0');
    if (parts[parts.length - 1] === '') parts.pop();
    return { comm, argv: parts };
  } catch {
    return undefined; // gone meanwhile
  }
}

export interface ProcEvents {
  close(): void;
}

/**
 * Subscribe to the kernel's process events. Throws when the connector is
 * unavailable (EPROTONOSUPPORT without CONFIG_PROC_EVENTS or outside the
 * initial network namespace, EPERM without CAP_NET_ADMIN). `lost` is called
 * when events were dropped (the socket buffer overflowed): rescan then.
 * `rcvbuf`: keepalived's process_monitor_rcv_bufs (default 1 MiB); `warn`
 * hears a refused SO_RCVBUFFORCE.
 */
export function subscribeProcEvents(
  onEvent: (e: ProcConnEvent) => void,
  lost: () => void,
  rcvbuf: RcvBuf = { bytes: 1 << 20, force: false },
  warn?: (msg: string) => void,
): ProcEvents {
  const n = native();
  const fd = n.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
  const buf = Buffer.alloc(65536);
  let watch: unknown;
  try {
    const err = setRcvBuf(n, fd, rcvbuf);
    if (err) warn?.(`process monitor socket: SO_RCVBUFFORCE ${rcvbuf.bytes}: ${err}`);
    n.bind(fd, sockaddrNl(CN_IDX_PROC));
    n.sendto(fd, listenRequest(process.pid), sockaddrNl(0));
    watch = n.watch(fd, () => {
      for (let i = 0; i < 256; i++) {
        let len: number;
        try {
          len = n.recv(fd, buf, 0);
        } catch {
          lost(); // ENOBUFS: the kernel dropped events
          continue;
        }
        if (len < 0) break;
        for (const e of decodeProcEvents(buf.subarray(0, len))) onEvent(e);
      }
    });
  } catch (e) {
    n.close(fd);
    throw e;
  }
  return {
    close: () => {
      n.unwatch(watch);
      n.close(fd);
    },
  };
}
