// The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC;
// linux/connector.h, linux/cn_proc.h): the listen request and the decoding
// of proc_event messages. Pure: the socket is in system/procs.ts.

export const NETLINK_CONNECTOR = 11;
export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;
export const PROC_CN_MCAST_LISTEN = 1;
export const PROC_CN_MCAST_IGNORE = 2;
const NLMSG_DONE = 3;
const NLMSG_HDRLEN = 16;
const CN_MSG_LEN = 20;

export const PROC_EVENT = {
  NONE: 0,
  FORK: 0x1,
  EXEC: 0x2,
  UID: 0x4,
  GID: 0x40,
  SID: 0x80,
  PTRACE: 0x100,
  COMM: 0x200,
  COREDUMP: 0x40000000,
  EXIT: 0x80000000,
} as const;

/** nlmsghdr + cn_msg + enum proc_cn_mcast_op: start (or stop) the events for this socket. */
export function listenRequest(pid: number, enable = true): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + CN_MSG_LEN + 4);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(NLMSG_DONE, 4);
  b.writeUInt32LE(pid >>> 0, 12);
  b.writeUInt32LE(CN_IDX_PROC, 16);
  b.writeUInt32LE(CN_VAL_PROC, 20);
  b.writeUInt16LE(4, 32); // cn_msg.len
  b.writeUInt32LE(enable ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE, 36);
  return b;
}

/** What keepalived acts on; threads are already left out (pid != tgid). */
export type ProcConnEvent =
  | { type: 'ack'; err: number }
  | { type: 'fork'; parent: number; child: number }
  | { type: 'exec'; pid: number }
  | { type: 'comm'; pid: number; comm: string }
  | { type: 'exit'; pid: number; code: number; signal: number };

/**
 * Decode one datagram (one or more netlink messages) into the events a
 * process tracker needs. Threads' events (pid != tgid) and the event kinds
 * that do not change a process's name are skipped.
 */
export function decodeProcEvents(buf: Uint8Array): ProcConnEvent[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ProcConnEvent[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= b.length) {
    const len = b.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || off + len > b.length) break;
    const cn = off + NLMSG_HDRLEN;
    const ev = decodeCnMsg(b.subarray(cn, off + len));
    if (ev) out.push(ev);
    off += (len + 3) & ~3;
  }
  return out;
}

function decodeCnMsg(b: Buffer): ProcConnEvent | undefined {
  if (b.length < CN_MSG_LEN) return undefined;
  if (b.readUInt32LE(0) !== CN_IDX_PROC || b.readUInt32LE(4) !== CN_VAL_PROC) return undefined;
  const dataLen = b.readUInt16LE(16);
  const d = b.subarray(CN_MSG_LEN, CN_MSG_LEN + dataLen);
  // struct proc_event: what, cpu, timestamp_ns (u64), then the event's union at 16
  if (d.length < 16) return undefined;
  const what = d.readUInt32LE(0);
  const u = d.subarray(16);
  const u32 = (i: number) => (u.length >= (i + 1) * 4 ? u.readUInt32LE(i * 4) : -1);
  switch (what) {
    case PROC_EVENT.NONE:
      return { type: 'ack', err: u32(0) };
    case PROC_EVENT.FORK: {
      // parent_pid, parent_tgid, child_pid, child_tgid: a new thread has child_pid != child_tgid
      if (u32(2) !== u32(3)) return undefined;
      return { type: 'fork', parent: u32(1), child: u32(3) };
    }
    case PROC_EVENT.EXEC:
      return u32(0) === u32(1) ? { type: 'exec', pid: u32(1) } : undefined;
    case PROC_EVENT.COMM: {
      if (u32(0) !== u32(1) || u.length < 8) return undefined;
      const raw = u.subarray(8, 24);
      const nul = raw.indexOf(0);
      return {
        type: 'comm',
        pid: u32(1),
        comm: raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8'),
      };
    }
    case PROC_EVENT.EXIT:
      if (u32(0) !== u32(1)) return undefined;
      return { type: 'exit', pid: u32(1), code: u32(2), signal: u32(3) };
    default:
      return undefined;
  }
}

/** A proc_event message as the kernel sends it (for tests and fakes). */
export function encodeProcEvent(
  what: number,
  fields: number[],
  comm?: string,
  cnIdx = CN_IDX_PROC,
): Buffer {
  const union = Buffer.alloc(Math.max(24, fields.length * 4));
  fields.forEach((f, i) => union.writeUInt32LE(f >>> 0, i * 4));
  if (comm !== undefined) union.write(comm.slice(0, 15), 8, 'utf8');
  const ev = Buffer.alloc(16 + union.length);
  ev.writeUInt32LE(what >>> 0, 0);
  ev.set(union, 16);
  const cn = Buffer.alloc(CN_MSG_LEN);
  cn.writeUInt32LE(cnIdx, 0);
  cn.writeUInt32LE(CN_VAL_PROC, 4);
  cn.writeUInt16LE(ev.length, 16);
  const hdr = Buffer.alloc(NLMSG_HDRLEN);
  hdr.writeUInt32LE(NLMSG_HDRLEN + CN_MSG_LEN + ev.length, 0);
  hdr.writeUInt16LE(NLMSG_DONE, 4);
  return Buffer.concat([hdr, cn, ev]);
}
