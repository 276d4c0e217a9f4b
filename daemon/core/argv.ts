// keepalived runs scripts without a shell: a script line is split into argv.

/** Split a script string into argv: whitespace separates, quotes group; no shell. */
export function splitArgv(cmd: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(cmd))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** POSIX shell single-quoting: the one place a string is made safe for `sh -c`. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
