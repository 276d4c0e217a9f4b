// Track files (keepalived's trackers/track_file.c), the pure part shared by
// the VRRP trackers and FILE_CHECK: what number a file's text is, and what a
// track_file block asks to be written at start.

/** a track_file block's init_file, as the config reads it */
export interface InitFile {
  init_file?: { value: number; overwrite: boolean };
}

/** keepalived reads at most this much of the file */
const READ_MAX = 127;

/**
 * The number in a track file's text as keepalived reads it: C strtol with base
 * 0 (leading blanks, a sign, 0x hex, leading-0 octal, then as many digits as
 * there are; no digits = 0). undefined: out of range, keep the last value.
 * A missing or empty file is 0 (text undefined or '').
 */
export function parseTrackValue(text: string | undefined): number | undefined {
  if (text === undefined) return 0;
  const s = text.slice(0, READ_MAX);
  const m = /^[ \t\n\v\f\r]*([+-]?)(.*)$/s.exec(s)!;
  let rest = m[2];
  let base = 10;
  if (/^0[xX][0-9a-fA-F]/.test(rest)) {
    base = 16;
    rest = rest.slice(2);
  } else if (rest.startsWith('0')) base = 8;
  const digitOk = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  let digits = '';
  for (const c of rest) {
    if (!digitOk.test(c)) break;
    digits += c;
  }
  if (!digits) return 0;
  const n = (m[1] === '-' ? -1 : 1) * parseInt(digits, base);
  // keepalived: outside [INT32_MIN, INT32_MAX + 1] is "Invalid number ... ignoring"
  if (n < -2147483648 || n > 2147483648) return undefined;
  return n;
}

/** What to write to a track file at start (init_file), or nothing. */
export function initialFileWrite(
  f: InitFile,
  exists: 'no' | 'regular' | 'other',
  reload: boolean,
): string | undefined {
  if (!f.init_file) return undefined;
  if (exists !== 'no') {
    // without overwrite an existing file is kept; never overwritten on reload
    if (!f.init_file.overwrite || exists === 'other' || reload) return undefined;
  }
  return `${f.init_file.value}\n`;
}
