// The real-filesystem SourceHost (the one I/O edge of the config subsystem).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { SourceHost } from './reader';

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

export const fsHost: SourceHost = {
  readFile: (f) => readFileSync(f, 'utf8'),
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
