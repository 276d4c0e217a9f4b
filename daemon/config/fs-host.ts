// The real-filesystem SourceHost (the one I/O edge of the config subsystem).
import { closeSync, constants, openSync, readdirSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { MAX_FILE_BYTES, type SourceHost } from './reader';

/** glob(3)-style matching of one path segment: * ? [...] */
function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function globFiles(pattern: string): string[] {
  const parts = path.resolve(pattern).split('/').slice(1);
  let bases = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(base, part));
        continue;
      }
      let entries: string[] = [];
      try {
        entries = readdirSync(base);
      } catch {
        continue;
      }
      const re = segmentRegExp(part);
      for (const e of entries.sort())
        if (!e.startsWith('.') && re.test(e)) next.push(path.join(base, e));
    }
    bases = last ? next : next.filter((p) => isDir(p));
  }
  return bases.filter((p) => isFile(p));
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * A file's text, read in chunks and refused past `max` bytes: a huge file, or
 * /dev/zero, costs at most `max`. Non-blocking, so a FIFO without a writer
 * reads as empty instead of hanging a reload. Bytes that are not UTF-8
 * become U+FFFD, which the reader reports outside comments.
 */
export function readBounded(file: string, max = MAX_FILE_BYTES): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      size += n;
      if (size > max)
        throw Object.assign(new Error(`larger than ${max} bytes, the limit for one config file`), {
          code: 'EFBIG',
        });
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export const fsHost: SourceHost = {
  readFile: (f) => readBounded(f),
  glob: globFiles,
  stat: (f) => {
    try {
      const st = statSync(f);
      return { dir: st.isDirectory(), regular: st.isFile(), executable: (st.mode & 0o111) !== 0 };
    } catch {
      return undefined;
    }
  },
};
