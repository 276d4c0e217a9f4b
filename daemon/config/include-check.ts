// keepalived's include checks (lib/parser.c): which problems with included
// files are errors rather than messages. `include_check` in global_defs sets
// them from its line on (an included file's own setting ends with the file);
// includer/includem/includew/includeb/includea add them for one include.

/** a named file that is a directory, not a regular non-executable file, or unreadable */
export const INCLUDE_R = 1;
/** a named file (or a directory of a pattern) that does not exist */
export const INCLUDE_M = 2;
/** a pattern that matches nothing */
export const INCLUDE_W = 4;
/** a part of a {a,b} pattern that matches nothing (keepalive-ts's globs have no braces) */
export const INCLUDE_B = 8;
const ALL = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;

const NAMES: Record<string, number> = {
  read: INCLUDE_R,
  match: INCLUDE_M,
  wildcard_match: INCLUDE_W,
  brace_match: INCLUDE_B,
};

/** the checks of include's variants: include, includer, includem, includew, includeb, includea */
export const INCLUDE_KEYWORDS: Record<string, number> = {
  include: 0,
  includer: INCLUDE_R,
  includem: INCLUDE_R | INCLUDE_M,
  includew: INCLUDE_R | INCLUDE_M | INCLUDE_W,
  includeb: INCLUDE_R | INCLUDE_B,
  includea: ALL,
};

/**
 * The checks after `include_check WORDS` given the current ones: no words =
 * all; a plain first word sets `read` plus it; +WORD / -WORD add or remove.
 * Unknown words are left to the keyword's own diagnostics.
 */
export function applyIncludeCheck(current: number, words: string[]): number {
  if (words.length === 0) return ALL;
  let flags = current;
  words.forEach((w, i) => {
    const sign = w[0] === '+' || w[0] === '-' ? w[0] : '';
    const flag = NAMES[sign ? w.slice(1) : w];
    if (!sign && i > 0) return; // keepalived: "Duplicate include_check" - ignored
    if (!sign) flags = 0;
    if (!flag) return;
    if (!sign) flags = INCLUDE_R | flag;
    else if (sign === '+') flags |= flag;
    else flags &= ~flag;
  });
  return flags;
}
