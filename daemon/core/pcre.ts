// keepalived's PCRE2 patterns and regex_options as JavaScript RegExp (pure).
// The differences are listed in daemon/check/regex.ts.

/** regex_options keepalived knows (PCRE2 option names) -> JavaScript flag */
export const REGEX_FLAGS: Readonly<Record<string, string>> = {
  caseless: 'i',
  multiline: 'm',
  dotall: 's',
  utf: 'u',
  ucp: 'u',
};
/** options that only tune PCRE's compiler or matcher: no effect on what matches */
export const REGEX_NO_EFFECT = new Set([
  'dollar_endonly',
  'never_ucp',
  'never_utf',
  'no_auto_possess',
  'no_dotstar_anchor',
  'no_start_optimize',
  'auto_callout',
  'never_backslash_c',
  'alt_verbnames',
  'use_offset_limit',
]);
/** options with no JavaScript equivalent */
export const REGEX_UNSUPPORTED = new Set([
  'allow_empty_class',
  'alt_bsux',
  'dupnames',
  'extended',
  'firstline',
  'match_unset_backref',
  'no_auto_capture',
  'ungreedy',
  'alt_circumflex',
]);

/** The JavaScript RegExp for a keepalived pattern and its options, or the reason it has none. */
export function compileRegex(
  pattern: string,
  options: readonly string[] = [],
): { re: RegExp } | { error: string } {
  const flags = new Set(['g']);
  for (const o of options) if (REGEX_FLAGS[o]) flags.add(REGEX_FLAGS[o]);
  try {
    return { re: new RegExp(pattern, [...flags].join('')) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
