// global_defs umask as keepalived 2.2.7 reads it: a number (strtol base 0:
// 022, 0x12, 18) or permission bits joined by '|' (IWGRP|IWOTH, spaces
// allowed around the bars), nothing outside 0777.
import { kw } from '../schema';

const BITS: Record<string, number> = {
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRGRP: 0o040,
  IWGRP: 0o020,
  IXGRP: 0o010,
  IROTH: 0o004,
  IWOTH: 0o002,
  IXOTH: 0o001,
};

/** C strtol(s, &end, 0) over the whole string, or undefined */
function strtol0(s: string): number | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  if (/^0[xX]/.test(s)) return parseInt(s.slice(2), 16);
  if (s.startsWith('0')) return parseInt(s, 8);
  return parseInt(s, 10);
}

/** the umask value, or an error message (keepalived's) */
export function parseUmask(args: string[]): number | string {
  if (args.length === 0) return 'Missing parameter(s) to umask option';
  if (/^[0-9]/.test(args[0])) {
    if (args.length !== 1) return 'Extra parameter(s) to umask option';
    const v = strtol0(args[0]);
    if (v === undefined || v & ~0o777) return `invalid umask value ${args[0]}`;
    return v;
  }
  let bits = 0;
  let needOr = false;
  for (const a of args) {
    for (let i = 0; i < a.length; ) {
      if (needOr) {
        if (a[i] !== '|') return `Invalid umask syntax ${a}`;
        needOr = false;
        i++;
        continue;
      }
      const b = BITS[a.slice(i, i + 5)];
      if (b === undefined) return `Unknown umask bit ${a.slice(i)}`;
      bits |= b;
      i += 5;
      needOr = true;
    }
  }
  return needOr ? bits : 'umask missing bit value';
}

export const umask = () =>
  kw.custom<number>(1, 32, (args, stmt, ctx) => {
    const v = parseUmask(args);
    if (typeof v === 'string') {
      ctx.diag.error(stmt, `umask: ${v}`);
      return undefined;
    }
    return v;
  });
